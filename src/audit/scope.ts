/**
 * Narrow audits: one or more images by id (`ami-guard audit --image`, the auditor on an AMI event), or one
 * region's account guardrails (the auditor on a guardrail event). Each fills a RegionScan that the same judge
 * reads; every failed read is recorded in `calls`, never thrown.
 */
import type { LaunchPermission } from "ami-guard-policies/rules/facts";
import { describeError } from "ami-guard-policies/aws/lookup";
import { describeByIds, readGuardrails, type AccountClients, type Calls, type ScanOptions } from "./aws";
import { mapLimit } from "./limit";
import { DescribeImageAttributeCommand } from "@aws-sdk/client-ec2";
import type { OwnedImage, RawImage, RegionScan } from "./model";

/** What an audit covers: the whole account (default), some images, or the account guardrails only. */
export type AuditScope =
  | { readonly kind: "account" }
  | { readonly kind: "images"; readonly imageIds: readonly string[] }
  | { readonly kind: "guardrails" };

/** Reads the images `ids` in one region: owned ones with their launch permissions, others as they are. */
export async function scanImages(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
  ids: readonly string[],
  options: ScanOptions,
): Promise<RegionScan> {
  const where = { account, region };
  const ec2 = clients.ec2(region);
  const wanted = [...new Set(ids)].sort();
  const errors: string[] = [];
  const found = new Map<string, RawImage | "not-found" | "error">();
  for (let i = 0; i < wanted.length; i += 100)
    for (const [id, r] of await describeByIds(calls, ec2, wanted.slice(i, i + 100), errors)) found.set(id, r);
  if (errors.length > 0) {
    const n = [...found.values()].filter((v) => v === "error").length;
    calls.errors.push({ ...where, step: `ec2:DescribeImages (${n} image(s) by id)`, cause: errors[0] });
  }
  const mine = [...found.values()].filter(
    (v): v is RawImage => typeof v === "object" && v.OwnerId === account,
  );
  let failed = 0;
  let firstCause = "";
  const owned: OwnedImage[] = await mapLimit(mine, options.concurrency, async (image) => {
    try {
      const r = await calls.send<{ LaunchPermissions?: LaunchPermission[] }>(
        ec2,
        new DescribeImageAttributeCommand({ ImageId: image.ImageId, Attribute: "launchPermission" }),
      );
      return { image, launchPermissions: r.LaunchPermissions ?? [] };
    } catch (e) {
      if (failed++ === 0) firstCause = `${image.ImageId}: ${describeError(e)}`;
      return { image };
    }
  });
  if (failed > 0) {
    calls.errors.push({
      ...where,
      step: `ec2:DescribeImageAttribute launchPermission (${failed} of ${mine.length} images)`,
      cause: firstCause,
    });
  }
  const used = new Map([...found].filter(([id]) => !mine.some((m) => m.ImageId === id)));
  return { account, region, owned, used, uses: [], guardrails: {} };
}

/** Reads one region's account guardrails only. */
export async function scanGuardrails(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
): Promise<RegionScan> {
  const guardrails = await readGuardrails(calls, clients, account, region);
  return { account, region, owned: [], used: new Map(), uses: [], guardrails };
}
