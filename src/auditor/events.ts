/**
 * What an invocation asks the auditor to audit: the EventBridge event, read in its real shapes (a schedule's
 * `Scheduled Event`, and CloudTrail's `AWS API Call via CloudTrail` with its `detail`). Anything it cannot
 * place is audited in full, never skipped: an unknown event is a reason to look, not to stop.
 */
import type { AuditScope } from "../audit/scope";
import { AMI_ID, REGION } from "ami-guard-policies/rules/patterns";

/** CloudTrail events that change one image's risk: the image id is in the response or the request. */
export const IMAGE_EVENTS = [
  "CreateImage",
  "CopyImage",
  "RegisterImage",
  "CreateRestoreImageTask",
  "ModifyImageAttribute",
  "ResetImageAttribute",
  "EnableImage",
  "DisableImageDeprecation",
  "EnableImageDeprecation",
  "DisableImageDeregistrationProtection",
  "RestoreImageFromRecycleBin",
] as const;

/** CloudTrail events that change an account guardrail of a region. */
export const GUARDRAIL_EVENTS = [
  "DisableImageBlockPublicAccess",
  "DisableSnapshotBlockPublicAccess",
  "DisableAllowedImagesSettings",
  "ReplaceImageCriteriaInAllowedImagesSettings",
  "DisableEbsEncryptionByDefault",
  "ModifyEbsDefaultKmsKeyId",
  "ResetEbsDefaultKmsKeyId",
] as const;

/** What one invocation audits: the scope, in which regions, and why (for the log). */
export interface AuditTarget {
  readonly scope: AuditScope;
  /** Regions to audit; undefined means the configured regions. */
  readonly regions?: readonly string[];
  readonly reason: string;
  /** True when there is nothing to audit (a CloudTrail record of a call that failed and made nothing). */
  readonly skip?: boolean;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/**
 * The image ids under `imageId` / `ImageId` keys (at any depth: newer EC2 APIs log `{ "XRequest": { "ImageId" } }`),
 * never `sourceImageId` (CopyImage's source, in another region).
 */
export function imageIdsIn(v: unknown, depth = 0): string[] {
  if (depth > 6 || v === null || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap((x) => imageIdsIn(x, depth + 1));
  const out: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if ((k === "imageId" || k === "ImageId") && typeof x === "string" && AMI_ID.test(x)) out.push(x);
    else if (typeof x === "object") out.push(...imageIdsIn(x, depth + 1));
  }
  return out;
}

/** Reads the invocation's event. */
export function targetOf(event: unknown): AuditTarget {
  const e = record(event);
  const detailType = e?.["detail-type"];
  const detail = record(e?.detail);
  if (detailType === "Scheduled Event") return { scope: { kind: "account" }, reason: "scheduled audit" };
  if (detailType !== "AWS API Call via CloudTrail" || !detail) {
    return {
      scope: { kind: "account" },
      reason: `unrecognised event (${typeof detailType === "string" ? detailType : "no detail-type"}): full audit`,
    };
  }
  const name = typeof detail.eventName === "string" ? detail.eventName : "an unnamed call";
  const regionText = typeof detail.awsRegion === "string" ? detail.awsRegion : e?.region;
  const region = typeof regionText === "string" && REGION.test(regionText) ? regionText : undefined;
  const regions = region ? [region] : undefined;
  const failed = typeof detail.errorCode === "string" ? detail.errorCode : undefined;
  if ((GUARDRAIL_EVENTS as readonly string[]).includes(name)) {
    return { scope: { kind: "guardrails" }, regions, reason: `${name} in ${region ?? "an unknown region"}` };
  }
  const ids = [...new Set([...imageIdsIn(detail.responseElements), ...imageIdsIn(detail.requestParameters)])];
  if (ids.length > 0) {
    return {
      scope: { kind: "images", imageIds: ids.sort() },
      regions,
      reason: `${name} of ${ids.join(", ")} in ${region ?? "an unknown region"}`,
    };
  }
  if (failed) {
    return {
      scope: { kind: "images", imageIds: [] },
      regions,
      reason: `${name} failed (${failed}) and named no image: nothing changed`,
      skip: true,
    };
  }
  return {
    scope: { kind: "account" },
    regions,
    reason: `${name} named no image id: full audit of ${region ?? "the configured regions"}`,
  };
}
