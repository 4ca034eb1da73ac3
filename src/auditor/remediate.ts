/**
 * Opt-in remediation: for an image this account owns whose launch permissions make it public or share it
 * outside the allow-list, remove exactly those permissions (one ModifyImageAttribute Remove per image) and
 * nothing else. Which permissions are bad is the rules core's own test (`permissionAllowed`), with the
 * sharing policy's settings.
 */
import { ModifyImageAttributeCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { LaunchPermission } from "ami-guard-policies/rules/facts";
import { describeError } from "ami-guard-policies/aws/lookup";
import { RULES, describePermission, permissionAllowed } from "ami-guard-policies/rules/rules";
import type { AuditConfig } from "../audit/config";
import type { AuditReport } from "../audit/model";

export interface Remediation {
  account: string;
  region: string;
  imageId: string;
  /** The permissions removed (or that removing failed for). */
  removed: LaunchPermission[];
  ok: boolean;
  /** Why it failed. */
  error?: string;
}

/** The owned images of the report with sharing findings, and the launch permissions to remove from each. */
export function plan(
  report: AuditReport,
  config: AuditConfig,
): { account: string; region: string; imageId: string; remove: LaunchPermission[] }[] {
  if (!config.enabled(RULES.shared)) return [];
  const settings = config.settingsFor(RULES.shared);
  const inventory = new Map(report.inventory.map((i) => [i.ImageId, i]));
  const seen = new Set<string>();
  const out: { account: string; region: string; imageId: string; remove: LaunchPermission[] }[] = [];
  for (const f of report.findings) {
    if (f.rule !== RULES.shared || !f.imageId || seen.has(`${f.region}/${f.imageId}`)) continue;
    seen.add(`${f.region}/${f.imageId}`);
    const image = inventory.get(f.imageId);
    // Only images this account owns, whose launch permissions were read.
    if (!image || image.OwnerId !== f.account || !Array.isArray(image.LaunchPermissions)) continue;
    const perms = image.LaunchPermissions as LaunchPermission[];
    const remove = perms.filter((p) => !permissionAllowed(p, settings));
    if (image.Public === true && !remove.some((p) => p.Group === "all")) remove.push({ Group: "all" });
    if (remove.length > 0) out.push({ account: f.account, region: f.region, imageId: f.imageId, remove });
  }
  return out;
}

/** Removes the planned permissions; one log line per image; never throws. */
export async function remediate(
  steps: ReturnType<typeof plan>,
  ec2: (region: string) => EC2Client,
  log: (entry: Record<string, unknown>) => void,
): Promise<Remediation[]> {
  const out: Remediation[] = [];
  for (const s of steps) {
    try {
      await ec2(s.region).send(
        new ModifyImageAttributeCommand({
          ImageId: s.imageId,
          Attribute: "launchPermission",
          // Exactly the permissions read from EC2 (its own shape), so Group is "all" when present.
          LaunchPermission: { Remove: s.remove as { Group?: "all" }[] },
        }),
      );
      out.push({ account: s.account, region: s.region, imageId: s.imageId, removed: s.remove, ok: true });
      log({
        level: "warn",
        event: "remediated",
        account: s.account,
        region: s.region,
        imageId: s.imageId,
        removed: s.remove.map(describePermission),
      });
    } catch (e) {
      const error = describeError(e);
      out.push({
        account: s.account,
        region: s.region,
        imageId: s.imageId,
        removed: s.remove,
        ok: false,
        error,
      });
      log({
        level: "error",
        event: "remediation-failed",
        account: s.account,
        region: s.region,
        imageId: s.imageId,
        removing: s.remove.map(describePermission),
        error,
      });
    }
  }
  return out;
}
