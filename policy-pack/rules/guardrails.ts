/**
 * Account guardrails (the audit's `ec2-account-require-…` rules): pure rules over the account-level settings the audit reads in each region (EBS
 * encryption by default and its key, image and snapshot block public access, Allowed AMIs, Inspector) and
 * the account's CloudTrail trails. A field left undefined was not read (the failure is reported elsewhere)
 * and is not judged.
 */
import { GUARDRAIL_RULES, finding, type GuardrailRule, type Severity } from "./catalogue";
import { kmsKeyAllowed } from "./rules";
import type { AmiGuardSettings } from "./settings";

export { GUARDRAIL_RULES, type GuardrailRule } from "./catalogue";

export interface GuardrailFinding {
  rule: GuardrailRule;
  severity: Severity;
  message: string;
  fix: string;
}

/** What the audit read of one region's guardrails. */
export interface RegionGuardrails {
  ebsEncryptionByDefault?: boolean;
  /** The default EBS key id or ARN (`alias/aws/ebs` when the AWS managed key is the default). */
  ebsDefaultKmsKeyId?: string;
  /** `block-new-sharing` or `unblocked`. */
  imageBlockPublicAccess?: string;
  /** `block-all-sharing`, `block-new-sharing` or `unblocked`. */
  snapshotBlockPublicAccess?: string;
  /** Allowed AMIs: `enabled`, `audit-mode` or `disabled`, and how many image criteria it has. */
  allowedImages?: { state: string; criteria: number; managedBy?: string };
  /** Amazon Inspector's EC2 scanning status for the account in this region (ENABLED, DISABLED, …). */
  inspectorEc2?: string;
}

export interface TrailFacts {
  name: string;
  arn?: string;
  homeRegion?: string;
  multiRegion: boolean;
  organization: boolean;
  logFileValidation: boolean;
  /** From GetTrailStatus; undefined when it was not read. */
  logging?: boolean;
  /**
   * Which management events the trail records, from GetEventSelectors (basic or advanced selectors); undefined
   * when they were not read. Only `all` and `write` record the changes AMI Guard watches.
   */
  managementEvents?: ManagementEvents;
}

export type ManagementEvents = "all" | "write" | "read-only" | "none";

/** One basic event selector, as GetEventSelectors returns it. */
export interface BasicEventSelector {
  ReadWriteType?: string;
  IncludeManagementEvents?: boolean;
}
/** One advanced event selector, as GetEventSelectors returns it. */
export interface AdvancedEventSelector {
  FieldSelectors?: {
    Field?: string;
    Equals?: string[];
    NotEquals?: string[];
    StartsWith?: string[];
    NotStartsWith?: string[];
    EndsWith?: string[];
    NotEndsWith?: string[];
  }[];
}

/** Event sources whose management events AMI Guard's alarms and audit rely on: excluding any is not a full trail. */
const WATCHED_SOURCES = ["ec2.amazonaws.com", "cloudtrail.amazonaws.com", "kms.amazonaws.com"];
const RANK_EVENTS: Record<ManagementEvents, number> = { none: 0, "read-only": 1, write: 2, all: 3 };
const widest = (a: ManagementEvents, b: ManagementEvents): ManagementEvents =>
  RANK_EVENTS[a] >= RANK_EVENTS[b] ? a : b;

/**
 * Which management events a trail's selectors record. Basic selectors: `IncludeManagementEvents` (default
 * true) with `ReadWriteType` (default `All`). Advanced selectors: one with `eventCategory = Management`, and
 * `readOnly` absent (all), `= false` (write) or `= true` (read-only); a selector that narrows management events
 * any other way (event names, sources other than excluding unwatched ones, prefixes) is judged as recording none,
 * so that a trail scoped down to miss EC2 writes is never counted as working. Fails closed: anything unrecognised
 * records nothing.
 */
export function managementEventsOf(
  basic: readonly BasicEventSelector[] | undefined,
  advanced: readonly AdvancedEventSelector[] | undefined,
): ManagementEvents {
  let out: ManagementEvents = "none";
  for (const s of basic ?? []) {
    if (s.IncludeManagementEvents === false) continue;
    const rw = s.ReadWriteType ?? "All";
    out = widest(
      out,
      rw === "All" ? "all" : rw === "WriteOnly" ? "write" : rw === "ReadOnly" ? "read-only" : "none",
    );
  }
  for (const s of advanced ?? []) {
    const fields = s.FieldSelectors ?? [];
    const category = fields.find((f) => f.Field === "eventCategory");
    if (!category || !(category.Equals ?? []).includes("Management")) continue;
    let scope: ManagementEvents = "all";
    for (const f of fields) {
      if (f.Field === "eventCategory") {
        const narrowing = f.NotEquals || f.StartsWith || f.NotStartsWith || f.EndsWith || f.NotEndsWith;
        if (narrowing || (f.Equals ?? []).length !== 1) scope = "none";
      } else if (f.Field === "readOnly") {
        const eq = f.Equals ?? [];
        scope =
          eq.length === 1 && eq[0] === "false"
            ? widestNarrow(scope, "write")
            : eq.length === 1 && eq[0] === "true"
              ? widestNarrow(scope, "read-only")
              : "none";
      } else if (
        f.Field === "eventSource" &&
        f.NotEquals &&
        !f.Equals &&
        !f.StartsWith &&
        !f.EndsWith &&
        !f.NotStartsWith &&
        !f.NotEndsWith
      ) {
        if (f.NotEquals.some((x) => WATCHED_SOURCES.includes(x))) scope = "none";
      } else {
        scope = "none";
      }
    }
    out = widest(out, scope);
  }
  return out;
}

/** The narrower of two scopes (a selector's conditions are ANDed). */
function widestNarrow(a: ManagementEvents, b: ManagementEvents): ManagementEvents {
  return RANK_EVENTS[a] <= RANK_EVENTS[b] ? a : b;
}

const AWS_MANAGED_EBS_KEY = /(^|:)alias\/aws\/ebs$/;

export type SettingsFor = (rule: GuardrailRule) => AmiGuardSettings;

/** Judges one region's guardrails in `account`. */
export function judgeRegionGuardrails(
  g: RegionGuardrails,
  account: string,
  region: string,
  settingsFor: SettingsFor,
): GuardrailFinding[] {
  const where = `account ${account} in ${region}`;
  const out: GuardrailFinding[] = [];
  if (g.ebsEncryptionByDefault === false) {
    out.push(
      finding({
        rule: GUARDRAIL_RULES.ebsEncryption,
        kind: "off",
        message: `EBS encryption by default is off for ${where}: new volumes, and the snapshots of AMIs made from them, can be unencrypted.`,
        fix: `Turn it on (aws ec2 enable-ebs-encryption-by-default --region ${region}) with a customer-managed default key (aws ec2 modify-ebs-default-kms-key-id).`,
      }),
    );
  }
  if (g.ebsDefaultKmsKeyId !== undefined) {
    const key = g.ebsDefaultKmsKeyId;
    const allowed = settingsFor(GUARDRAIL_RULES.ebsDefaultKey).allowedKmsKeys;
    if (allowed.length > 0 && !kmsKeyAllowed(key, allowed)) {
      out.push(
        finding({
          rule: GUARDRAIL_RULES.ebsDefaultKey,
          kind: "notAllowed",
          message: `The default EBS encryption key for ${where} is ${key}, which is not one of the allowed KMS keys (${allowed.join(", ")}).`,
          fix: `Set an allowed customer-managed key as the default (aws ec2 modify-ebs-default-kms-key-id --kms-key-id … --region ${region}).`,
        }),
      );
    } else if (AWS_MANAGED_EBS_KEY.test(key)) {
      out.push(
        finding({
          rule: GUARDRAIL_RULES.ebsDefaultKey,
          kind: "awsManaged",
          message: `The default EBS encryption key for ${where} is the AWS managed key (alias/aws/ebs): AMIs encrypted with it cannot be shared with other accounts and its policy cannot be changed.`,
          fix: `Create a customer-managed KMS key and make it the default (aws ec2 modify-ebs-default-kms-key-id --kms-key-id … --region ${region}).`,
        }),
      );
    }
  }
  if (g.imageBlockPublicAccess !== undefined && g.imageBlockPublicAccess !== "block-new-sharing") {
    out.push(
      finding({
        rule: GUARDRAIL_RULES.imageBlockPublicAccess,
        kind: "off",
        message: `Image block public access is ${g.imageBlockPublicAccess} for ${where}: any AMI can be made public.`,
        fix: `Turn it on (aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing --region ${region}), or through a declarative policy for the organization.`,
      }),
    );
  }
  if (g.snapshotBlockPublicAccess !== undefined && g.snapshotBlockPublicAccess !== "block-all-sharing") {
    const unblocked = g.snapshotBlockPublicAccess === "unblocked";
    out.push(
      finding({
        rule: GUARDRAIL_RULES.snapshotBlockPublicAccess,
        kind: unblocked ? "unblocked" : "newOnly",
        message: unblocked
          ? `Snapshot block public access is unblocked for ${where}: the EBS snapshots behind AMIs can be made public.`
          : `Snapshot block public access is block-new-sharing for ${where}: snapshots that are already public stay public.`,
        fix: `Set it to block-all-sharing (aws ec2 enable-snapshot-block-public-access --state block-all-sharing --region ${region}).`,
      }),
    );
  }
  if (g.allowedImages !== undefined && g.allowedImages.state !== "enabled") {
    const audit = g.allowedImages.state === "audit-mode";
    out.push(
      finding({
        rule: GUARDRAIL_RULES.allowedAmis,
        kind: audit ? "auditMode" : "disabled",
        message: audit
          ? `Allowed AMIs is in audit mode for ${where}: images outside its ${g.allowedImages.criteria} criteria are flagged but can still be launched.`
          : `Allowed AMIs is ${g.allowedImages.state} for ${where}: instances can be launched from any AMI, including community images.`,
        fix: `Set image criteria for your trusted owners and enable it (aws ec2 replace-image-criteria-in-allowed-images-settings, then aws ec2 enable-allowed-images-settings --allowed-images-settings-state enabled --region ${region}).`,
      }),
    );
  }
  if (g.inspectorEc2 !== undefined && g.inspectorEc2 !== "ENABLED" && g.inspectorEc2 !== "ENABLING") {
    out.push(
      finding({
        rule: GUARDRAIL_RULES.inspector,
        kind: "off",
        message: `Amazon Inspector EC2 scanning is ${g.inspectorEc2} for ${where}: instances launched from vulnerable AMIs go unnoticed.`,
        fix: `Enable it (aws inspector2 enable --resource-types EC2 --region ${region}), or from the organization's delegated Inspector administrator.`,
      }),
    );
  }
  return out;
}

const recordsWrites = (t: TrailFacts) => t.managementEvents === "all" || t.managementEvents === "write";

/** Why a multi-region trail does not count as working, or undefined when it does (or its facts are unread). */
function trailGap(t: TrailFacts): string | undefined {
  if (t.logging === false) return `${t.name} is stopped`;
  if (t.logging === undefined || t.managementEvents === undefined) return undefined;
  if (t.managementEvents === "none") return `${t.name} records no management events`;
  if (t.managementEvents === "read-only") return `${t.name} records only read events`;
  return undefined;
}

/**
 * Judges the account's trails: at least one multi-region trail that is logging and records management write
 * events (GetEventSelectors), with log file validation.
 */
export function judgeTrails(
  trails: readonly TrailFacts[],
  account: string,
  region: string,
): GuardrailFinding[] {
  const where = `account ${account}`;
  const multi = trails.filter((t) => t.multiRegion);
  const live = multi.filter((t) => t.logging === true && recordsWrites(t));
  const unknown = multi.filter(
    (t) => t.logging === undefined || (t.logging === true && t.managementEvents === undefined),
  );
  if (live.length === 0) {
    if (unknown.length > 0) return []; // their status could not be read: reported as an audit error instead
    const gaps = multi.map(trailGap).filter((g): g is string => g !== undefined);
    return [
      finding({
        rule: GUARDRAIL_RULES.cloudTrail,
        kind: "noWorkingTrail",
        message:
          gaps.length > 0
            ? `${where} has no working multi-region CloudTrail trail (seen from ${region}): ${gaps.join("; ")}. Image sharing, copying, guardrail changes and launches go unrecorded.`
            : `${where} has no multi-region CloudTrail trail (seen from ${region}): image sharing, copying and launches are not recorded in every region.`,
        fix: "Create a multi-region trail with log file validation that records all management events (aws cloudtrail create-trail --is-multi-region-trail --enable-log-file-validation …; aws cloudtrail put-event-selectors --event-selectors ReadWriteType=All,IncludeManagementEvents=true; aws cloudtrail start-logging), or use an organization trail.",
      }),
    ];
  }
  if (!live.some((t) => t.logFileValidation)) {
    return [
      finding({
        rule: GUARDRAIL_RULES.cloudTrail,
        kind: "noValidation",
        message: `${where}'s multi-region CloudTrail trail ${live.map((t) => t.name).join(", ")} does not validate its log files: tampering with the record would go unnoticed.`,
        fix: "Turn on log file validation (aws cloudtrail update-trail --name … --enable-log-file-validation).",
      }),
    ];
  }
  return [];
}
