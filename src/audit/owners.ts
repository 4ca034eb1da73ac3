/**
 * The organisation view of the audit: images in use in an account but owned by another account of the estate
 * (the image-build account) are read as their owner sees them — tags and launch permissions — through the
 * owner read roles of the configuration's `ownerReadRoles` (one AssumeRole per role per run, one read per
 * image per role). A view that cannot be had is a failed read (the audit is then partial) naming the role.
 */
import { factsFromImage } from "ami-guard-policies/rules/facts";
import type { OwnerViewSource } from "ami-guard-policies/aws/owner";
import { RULES } from "ami-guard-policies/rules/rules";
import type { Calls } from "./aws";
import type { AuditConfig } from "./config";
import { mapLimit } from "./limit";
import type { RegionScan } from "./model";

/** The key of an owner's view in RegionScan.ownerViews. */
export function ownerViewKey(roleArn: string, imageId: string): string {
  return `${roleArn} ${imageId}`;
}

/** The owner read roles the audit uses: those of the tag and sharing rules that are enabled. */
function rolesOf(cfg: AuditConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const rule of [RULES.untagged, RULES.shared]) {
    if (!cfg.enabled(rule)) continue;
    for (const [account, role] of Object.entries(cfg.settingsFor(rule).ownerReadRoles)) {
      const set = out.get(account) ?? new Set<string>();
      set.add(role);
      out.set(account, set);
    }
  }
  return out;
}

/** Reads the owner's view of every in-use image of `scans` whose owner has a read role; fills scan.ownerViews. */
export async function readOwnerViews(
  calls: Calls,
  scans: readonly RegionScan[],
  cfg: AuditConfig,
  views: OwnerViewSource,
  concurrency: number,
): Promise<void> {
  const roles = rolesOf(cfg);
  if (roles.size === 0) return;
  const before = { ...views.calls };
  const work: { scan: RegionScan; imageId: string; owner: string; roleArn: string }[] = [];
  for (const scan of scans) {
    scan.ownerViews ??= new Map();
    for (const [imageId, raw] of scan.used) {
      if (typeof raw !== "object") continue;
      const facts = factsFromImage(raw);
      const owner = facts?.ownerId;
      if (!facts || facts.ownerAlias !== undefined || !owner || owner === scan.account) continue;
      for (const roleArn of roles.get(owner) ?? []) work.push({ scan, imageId, owner, roleArn });
    }
  }
  await mapLimit(work, concurrency, async ({ scan, imageId, owner, roleArn }) => {
    const v = await views.view(imageId, scan.region, owner, roleArn);
    scan.ownerViews!.set(ownerViewKey(roleArn, imageId), v);
    if (v.kind === "error") {
      calls.errors.push({
        account: scan.account,
        region: scan.region,
        step: `owner's view of ${imageId} (owner account ${owner}, ${v.via})`,
        cause: v.cause,
      });
    }
  });
  const after = views.calls;
  const add = (name: string, n: number) => {
    if (n > 0) calls.count[name] = (calls.count[name] ?? 0) + n;
  };
  add("OwnerRead:AssumeRole", after.assumeRole - before.assumeRole);
  add("OwnerRead:DescribeImages", after.describeImages - before.describeImages);
  add("OwnerRead:DescribeImageAttribute", after.describeImageAttribute - before.describeImageAttribute);
}
