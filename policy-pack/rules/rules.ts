/**
 * The AMI rules core: pure functions that judge an AMI's facts (or a resource that makes or shares one)
 * against the settings. The policy pack, the offline preview and the audit all speak through these, so a
 * problem reads the same wherever it is found. No I/O here.
 */
import type { AmiFacts, LaunchPermission, LaunchPermissionsResult } from "./facts";
import type { AmiGuardSettings } from "./settings";
import { RULES, finding, type RuleName, type Severity } from "./catalogue";
import { KMS_KEY_ARN } from "./patterns";

export { RULES, SEVERITIES, type RuleName, type Severity } from "./catalogue";

export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** What is wrong, naming the AMI. */
  message: string;
  /** How to fix it. */
  fix: string;
}

const DAY_MS = 86_400_000;

function owner(f: AmiFacts): string {
  return f.ownerAlias
    ? `${f.ownerAlias} (${f.ownerId ?? "unknown account"})`
    : (f.ownerId ?? "an unknown owner");
}

/** A raw value quoted for a message. */
function quoted(text: string | undefined): string {
  return JSON.stringify(text ?? "");
}

/** True when the owner id or alias is in `owners`. */
export function ownerIn(f: Pick<AmiFacts, "ownerId" | "ownerAlias">, owners: readonly string[]): boolean {
  return owners.some((o) => o === f.ownerId || (f.ownerAlias !== undefined && o === f.ownerAlias));
}

/**
 * Practice 1: only AMIs from trusted owners or providers; community images never; and never an image that
 * EC2's own Allowed AMIs settings reject (`ImageAllowed: false`, which EC2 reports in audit mode).
 */
export function judgeTrust(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  const out: Finding[] = [];
  if (!ownerIn(f, s.trustedOwners)) {
    const community = f.public && !f.ownerAlias ? " It is a public community image." : "";
    out.push(
      finding({
        rule: RULES.untrusted,
        kind: "untrustedOwner",
        message: `AMI ${f.imageId} is owned by ${owner(f)}, which is not a trusted owner (${s.trustedOwners.join(", ") || "none configured"}).${community}`,
        fix: "Use an AMI built by your golden-image pipeline or published by a trusted provider, or add the owner to trustedOwners after review.",
      }),
    );
  }
  if (f.imageAllowed === false) {
    out.push(
      finding({
        rule: RULES.untrusted,
        kind: "notAllowed",
        message: `AMI ${f.imageId} does not meet the account's EC2 Allowed AMIs criteria (EC2 reports ImageAllowed: false); only audit mode lets it launch.`,
        fix: "Use an image that the Allowed AMIs criteria allow (a trusted provider, recent enough), or review the criteria before switching Allowed AMIs from audit mode to enabled.",
      }),
    );
  }
  return out;
}

/** The parts of a KMS key ARN, or undefined for anything else (alias ARNs, alias names, bare key ids). */
export function parseKeyArn(
  arn: string,
): { partition: string; region: string; account: string; keyId: string } | undefined {
  if (!KMS_KEY_ARN.test(arn)) return undefined;
  const [, partition, , region, account, resource] = arn.split(":");
  return { partition, region, account, keyId: resource.slice("key/".length).toLowerCase() };
}

/**
 * True when `keyId` is allowed by `allowed` (empty allows any key). Only key ARNs match, and only the same key:
 * partition, region, account and key id all equal. A key id alone, or an alias, never matches: the same key id
 * tail in another account or region is another key, and an alias can be re-pointed (settings refuse both).
 */
export function kmsKeyAllowed(keyId: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const key = parseKeyArn(keyId);
  if (!key) return false;
  return allowed.some((a) => {
    const k = parseKeyArn(a);
    return (
      k !== undefined &&
      k.partition === key.partition &&
      k.region === key.region &&
      k.account === key.account &&
      k.keyId === key.keyId
    );
  });
}

/** Practice 3: every EBS snapshot of the AMI encrypted, with an allowed key where keys are listed. */
export function judgeEncryption(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  const out: Finding[] = [];
  if (f.rootDeviceType === "instance-store" || f.ebs.length === 0) {
    const why =
      f.rootDeviceType === "instance-store"
        ? "its root device is instance store (the image bundle lives in Amazon S3)"
        : f.blockDeviceMappings === 0
          ? "it has no block device mappings"
          : "it has only instance-store (ephemeral) mappings";
    out.push(
      finding({
        rule: RULES.unencrypted,
        kind: "noEbsSnapshot",
        message: `AMI ${f.imageId} has no EBS snapshot encrypted with a KMS key: ${why}, so nothing in it is KMS-encrypted.`,
        fix: "Use an EBS-backed image whose snapshots are encrypted with a customer-managed KMS key (rebuild it with your golden-image pipeline, or copy an EBS-backed image with --encrypted --kms-key-id …).",
      }),
    );
    if (f.rootDeviceType === "instance-store") return out;
  }
  const plain = f.ebs.filter((b) => !b.encrypted);
  if (plain.length > 0) {
    const which = plain.map((b) => b.snapshotId ?? b.deviceName ?? "a snapshot").join(", ");
    out.push(
      finding({
        rule: RULES.unencrypted,
        kind: "unencrypted",
        message: `AMI ${f.imageId} has unencrypted EBS snapshots (${which}).`,
        fix: "Copy the AMI with encryption on and a customer-managed KMS key (aws ec2 copy-image --encrypted --kms-key-id …), then use the copy.",
      }),
    );
  }
  if (s.allowedKmsKeys.length > 0) {
    const bad = f.ebs.filter(
      (b) => b.encrypted && (!b.kmsKeyId || !kmsKeyAllowed(b.kmsKeyId, s.allowedKmsKeys)),
    );
    if (bad.length > 0) {
      const keys = [
        ...new Set(
          bad.map(
            (b) => b.kmsKeyId ?? `${b.snapshotId ?? b.deviceName ?? "a snapshot"}: the key was not reported`,
          ),
        ),
      ].join(", ");
      out.push(
        finding({
          rule: RULES.unencrypted,
          kind: "keyNotAllowed",
          message: `AMI ${f.imageId} is encrypted with a key that is not in allowedKmsKeys (${keys}).`,
          fix: "Re-encrypt the AMI by copying it with one of the allowedKmsKeys.",
        }),
      );
    }
  }
  return out;
}

/** Practice 5: required tags present, with allowed values where configured. */
export function judgeTagMap(subject: string, tags: Record<string, string>, s: AmiGuardSettings): Finding[] {
  const missing = s.requiredTags.filter((k) => !(k in tags) || tags[k].trim() === "");
  const wrong = Object.entries(s.allowedTagValues)
    .filter(([k, values]) => k in tags && tags[k].trim() !== "" && !values.includes(tags[k]))
    .map(([k, values]) => `${k}=${JSON.stringify(tags[k])} (allowed: ${values.join(", ")})`);
  const parts: string[] = [];
  if (missing.length) parts.push(`is missing required tag(s) ${missing.join(", ")}`);
  if (wrong.length) parts.push(`has tag value(s) not allowed: ${wrong.join("; ")}`);
  if (parts.length === 0) return [];
  return [
    finding({
      rule: RULES.untagged,
      kind: "tags",
      message: `${subject} ${parts.join(" and ")}.`,
      fix: `Tag the image with ${s.requiredTags.join(", ")}${Object.keys(s.allowedTagValues).length ? " using the allowed values" : ""} when it is built (your pipeline's distribution tags), and approve it before use.`,
    }),
  ];
}

export function judgeTags(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  if (ownerIn(f, s.tagExemptOwners)) return [];
  return judgeTagMap(`AMI ${f.imageId}`, f.tags, s);
}

/** Describes a launch permission for a message. */
export function describePermission(p: LaunchPermission): string {
  if (p.Group) return `group ${p.Group}`;
  if (p.UserId) return `account ${p.UserId}`;
  if (p.OrganizationArn) return `organization ${p.OrganizationArn}`;
  if (p.OrganizationalUnitArn) return `OU ${p.OrganizationalUnitArn}`;
  return "an empty permission";
}

/** True when the launch permission targets only allow-listed accounts, organizations or OUs. */
export function permissionAllowed(p: LaunchPermission, s: AmiGuardSettings): boolean {
  if (p.Group !== undefined) return false;
  if (p.UserId !== undefined) return s.allowedAccounts.includes(p.UserId);
  if (p.OrganizationArn !== undefined) return s.allowedOrganizations.includes(p.OrganizationArn);
  if (p.OrganizationalUnitArn !== undefined)
    return s.allowedOrganizationalUnits.includes(p.OrganizationalUnitArn);
  // A permission that names nobody EC2 knows of is not one the allow-list vouches for.
  return false;
}

/** Judges a set of launch permissions of `subject` (an AMI or a resource that grants them). */
export function judgePermissions(
  subject: string,
  perms: readonly LaunchPermission[],
  s: AmiGuardSettings,
): Finding[] {
  const out: Finding[] = [];
  const pub = perms.filter((p) => p.Group !== undefined);
  if (pub.length) {
    out.push(
      finding({
        rule: RULES.shared,
        kind: "publicPermission",
        message: `${subject} is shared publicly (launch permission ${pub.map(describePermission).join(", ")}).`,
        fix: "Remove the group=all launch permission (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]) and keep image block public access on.",
      }),
    );
  }
  const outside = perms.filter((p) => p.Group === undefined && !permissionAllowed(p, s));
  if (outside.length) {
    out.push(
      finding({
        rule: RULES.shared,
        kind: "outsideAllowList",
        message: `${subject} is shared outside the allow-list: ${outside.map(describePermission).join(", ")}.`,
        fix: "Share only with allowedAccounts, allowedOrganizations or allowedOrganizationalUnits; remove the other launch permissions.",
      }),
    );
  }
  return out;
}

/** True when the settings name the image's owner as one of ours: a trusted or allow-listed account id. */
export function ownedBySettings(f: Pick<AmiFacts, "ownerId" | "ownerAlias">, s: AmiGuardSettings): boolean {
  return (
    f.ownerAlias === undefined &&
    f.ownerId !== undefined &&
    (s.trustedOwners.includes(f.ownerId) || s.allowedAccounts.includes(f.ownerId))
  );
}

/**
 * Practice 6: never public, never outside the allow-list. A public AMI of AWS or a stranger is the owner's
 * business (the trust rule blocks using a stranger's); a public AMI owned by you (a trusted or allow-listed
 * account, or one whose launch permissions the caller can read) is a leak. Only the real provider aliases
 * (`amazon`, `aws-marketplace`, `aws-backup-vault`) make an image a provider's.
 *
 * `sharing` is what reading the launch permissions gave (defaults to the facts' own `launchPermissions`):
 * known, not the caller's image (EC2's AuthFailure for someone else's image), or an error — which, for any
 * image that is not a provider's, is a finding naming the cause: sharing that cannot be read is not "private".
 */
export function judgeSharing(
  f: AmiFacts,
  s: AmiGuardSettings,
  sharing: LaunchPermissionsResult = f.launchPermissions
    ? { kind: "known", permissions: f.launchPermissions }
    : { kind: "not-owner" },
  region?: string,
): Finding[] {
  const out: Finding[] = [];
  const providerImage = f.ownerAlias !== undefined;
  if (sharing.kind === "known") f = { ...f, launchPermissions: sharing.permissions };
  if (sharing.kind === "error" && !providerImage) {
    out.push(
      finding({
        rule: RULES.shared,
        kind: "unreadable",
        message: `cannot verify who AMI ${f.imageId} (owned by ${owner(f)})${region ? ` in ${region}` : ""} is shared with: ${sharing.cause}. Failing closed.`,
        fix: "Let the pack read the image's launch permissions (ec2:DescribeImageAttribute for the owner's credentials, a reachable EC2 endpoint), or give the inventory the image's LaunchPermissions (ami-guard audit --export-inventory writes them).",
      }),
    );
  }
  // "Ours": a trusted or allow-listed account, or one whose launch permissions we could read (the owner).
  const ours = !providerImage && (sharing.kind === "known" || ownedBySettings(f, s));
  if (f.public && ours) {
    out.push(
      finding({
        rule: RULES.shared,
        kind: "publicImage",
        message: `AMI ${f.imageId} owned by ${owner(f)} is public: anyone can launch it and read its snapshots.`,
        fix: "Make the image private (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]) and enable image block public access in every region.",
      }),
    );
  }
  if (sharing.kind === "known" && f.launchPermissions) {
    const perms =
      f.public && !providerImage
        ? f.launchPermissions.filter((p) => p.Group === undefined)
        : f.launchPermissions;
    out.push(...judgePermissions(`AMI ${f.imageId}`, providerImage ? [] : perms, s));
  }
  return out;
}

/** Practice 4: not older than the maximum age, not deprecated, and available. */
export function judgeFreshness(f: AmiFacts, s: AmiGuardSettings, now: Date): Finding[] {
  const out: Finding[] = [];
  if (f.state !== "available") {
    out.push(
      finding({
        rule: RULES.stale,
        kind: "notAvailable",
        message: `AMI ${f.imageId} is in state "${f.state}", not "available".`,
        fix: "Use an available image: the current release of your golden-image pipeline.",
      }),
    );
  }
  if (f.deprecationTime === undefined && f.deprecationTimeText !== undefined) {
    out.push(
      finding({
        rule: RULES.stale,
        kind: "unreadableDate",
        message: `AMI ${f.imageId} has a deprecation time that does not parse (${quoted(f.deprecationTimeText)}), so whether it is deprecated cannot be checked.`,
        fix: "Use an image whose deprecation time EC2 reports as a valid timestamp, or fix the inventory entry.",
      }),
    );
  }
  if (f.deprecationTime && f.deprecationTime.getTime() <= now.getTime()) {
    out.push(
      finding({
        rule: RULES.stale,
        kind: "deprecated",
        message: `AMI ${f.imageId} was deprecated on ${f.deprecationTime.toISOString().slice(0, 10)}.`,
        fix: "Move to the current image of the same line and roll it out by replacement.",
      }),
    );
  }
  if (f.creationDate && f.creationDate.getTime() > now.getTime() + DAY_MS) {
    out.push(
      finding({
        rule: RULES.stale,
        kind: "unreadableDate",
        message: `AMI ${f.imageId} has a creation date in the future (${f.creationDate.toISOString()}), so its age cannot be checked.`,
        fix: "Use an image whose creation date EC2 reports correctly, or fix the inventory entry.",
      }),
    );
  } else if (f.creationDate) {
    const age = Math.floor((now.getTime() - f.creationDate.getTime()) / DAY_MS);
    if (age > s.maxAgeDays) {
      out.push(
        finding({
          rule: RULES.stale,
          kind: "tooOld",
          message: `AMI ${f.imageId} is ${age} days old (created ${f.creationDate.toISOString().slice(0, 10)}), over the maximum of ${s.maxAgeDays} days.`,
          fix: "Rebuild the image on a patched parent (run the pipeline) and roll the new AMI out by replacement.",
        }),
      );
    }
  } else {
    out.push(
      finding({
        rule: RULES.stale,
        kind: "unreadableDate",
        message:
          f.creationDateText === undefined
            ? `AMI ${f.imageId} has no creation date, so its age cannot be checked.`
            : `AMI ${f.imageId} has a creation date that does not parse (${quoted(f.creationDateText)}), so its age cannot be checked.`,
        fix: "Use an image whose creation date EC2 reports.",
      }),
    );
  }
  return out;
}

/** Practice 4, not found: the id is unknown to EC2 in that region (deregistered, mistyped or not shared). */
export function judgeMissing(imageId: string, region: string): Finding {
  return finding({
    rule: RULES.missing,
    kind: "notFound",
    message: `AMI ${imageId} was not found in ${region}: it is deregistered, mistyped, in another region or not shared with this account.`,
    fix: "Use the id of an available, approved image in this region.",
  });
}

/** Every rule that judges an AMI's own facts, as the audit applies them. */
export function judgeAmi(f: AmiFacts, s: AmiGuardSettings, now: Date): Finding[] {
  return [
    ...judgeTrust(f, s),
    ...judgeEncryption(f, s),
    ...judgeTags(f, s),
    ...judgeSharing(f, s),
    ...judgeFreshness(f, s, now),
  ];
}
