/**
 * The AMI rules core: pure functions that judge an AMI's facts (or a resource that makes or shares one)
 * against the settings. The policy pack, the offline preview and the audit all speak through these, so a
 * problem reads the same wherever it is found. No I/O here.
 */
import type { AmiFacts, LaunchPermission } from "./facts";
import type { AmiGuardSettings } from "./settings";

export type Severity = "low" | "medium" | "high" | "critical";
export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

export const RULES = {
  untrusted: "ec2-ami-disallow-untrusted-owner",
  unencrypted: "ec2-ami-require-encryption",
  untagged: "ec2-ami-require-tags",
  shared: "ec2-ami-disallow-public-sharing",
  stale: "ec2-ami-disallow-stale-image",
  missing: "ec2-ami-disallow-missing-image",
  mutable: "ec2-ami-disallow-ignore-changes",
} as const;
export type RuleName = (typeof RULES)[keyof typeof RULES];

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

/** True when the owner id or alias is in `owners`. */
export function ownerIn(f: Pick<AmiFacts, "ownerId" | "ownerAlias">, owners: readonly string[]): boolean {
  return owners.some((o) => o === f.ownerId || (f.ownerAlias !== undefined && o === f.ownerAlias));
}

/** Practice 1: only AMIs from trusted owners or providers; community images never. */
export function judgeTrust(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  if (ownerIn(f, s.trustedOwners)) return [];
  const community = f.public && !f.ownerAlias ? " It is a public community image." : "";
  return [
    {
      rule: RULES.untrusted,
      severity: "high",
      message: `AMI ${f.imageId} is owned by ${owner(f)}, which is not a trusted owner (${s.trustedOwners.join(", ") || "none configured"}).${community}`,
      fix: "Use an AMI built by your golden-image pipeline or published by a trusted provider, or add the owner to trustedOwners after review.",
    },
  ];
}

/** True when `keyId` (key id, key ARN or alias ARN) matches an entry of `allowed`. */
export function kmsKeyAllowed(keyId: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const tail = (k: string) => k.replace(/^arn:aws[a-z-]*:kms:[^:]*:[0-9]*:(key\/)?/, "");
  return allowed.some((a) => a === keyId || tail(a) === tail(keyId));
}

/** Practice 3: every EBS snapshot of the AMI encrypted, with an allowed key where keys are listed. */
export function judgeEncryption(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  const out: Finding[] = [];
  const plain = f.ebs.filter((b) => !b.encrypted);
  if (plain.length > 0) {
    const which = plain.map((b) => b.snapshotId ?? b.deviceName ?? "a snapshot").join(", ");
    out.push({
      rule: RULES.unencrypted,
      severity: "high",
      message: `AMI ${f.imageId} has unencrypted EBS snapshots (${which}).`,
      fix: "Copy the AMI with encryption on and a customer-managed KMS key (aws ec2 copy-image --encrypted --kms-key-id …), then use the copy.",
    });
  }
  if (s.allowedKmsKeys.length > 0) {
    const bad = f.ebs.filter(
      (b) => b.encrypted && (!b.kmsKeyId || !kmsKeyAllowed(b.kmsKeyId, s.allowedKmsKeys)),
    );
    if (bad.length > 0) {
      const keys = [...new Set(bad.map((b) => b.kmsKeyId ?? "the AWS managed key"))].join(", ");
      out.push({
        rule: RULES.unencrypted,
        severity: "high",
        message: `AMI ${f.imageId} is encrypted with a key that is not allowed (${keys}).`,
        fix: "Re-encrypt the AMI by copying it with one of the allowedKmsKeys.",
      });
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
    {
      rule: RULES.untagged,
      severity: "low",
      message: `${subject} ${parts.join(" and ")}.`,
      fix: `Tag the image with ${s.requiredTags.join(", ")}${Object.keys(s.allowedTagValues).length ? " using the allowed values" : ""} when it is built (your pipeline's distribution tags), and approve it before use.`,
    },
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
  return true;
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
    out.push({
      rule: RULES.shared,
      severity: "critical",
      message: `${subject} is shared publicly (launch permission ${pub.map(describePermission).join(", ")}).`,
      fix: "Remove the group=all launch permission (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]) and keep image block public access on.",
    });
  }
  const outside = perms.filter((p) => p.Group === undefined && !permissionAllowed(p, s));
  if (outside.length) {
    out.push({
      rule: RULES.shared,
      severity: "high",
      message: `${subject} is shared outside the allow-list: ${outside.map(describePermission).join(", ")}.`,
      fix: "Share only with allowedAccounts, allowedOrganizations or allowedOrganizationalUnits; remove the other launch permissions.",
    });
  }
  return out;
}

/**
 * Practice 6: never public, never outside the allow-list. A public AMI of AWS or a stranger is the owner's
 * business (the trust rule blocks using a stranger's); a public AMI owned by you (a trusted or allow-listed
 * account, or one whose launch permissions the caller can read) is a leak.
 */
export function judgeSharing(f: AmiFacts, s: AmiGuardSettings): Finding[] {
  const out: Finding[] = [];
  const providerImage = f.ownerAlias !== undefined;
  // "Ours": a trusted or allow-listed account, or one whose launch permissions we could read (the owner).
  const ours =
    !providerImage &&
    (f.launchPermissions !== undefined ||
      (f.ownerId !== undefined &&
        (s.trustedOwners.includes(f.ownerId) || s.allowedAccounts.includes(f.ownerId))));
  if (f.public && ours) {
    out.push({
      rule: RULES.shared,
      severity: "critical",
      message: `AMI ${f.imageId} owned by ${owner(f)} is public: anyone can launch it and read its snapshots.`,
      fix: "Make the image private (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]) and enable image block public access in every region.",
    });
  }
  if (f.launchPermissions) {
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
    out.push({
      rule: RULES.stale,
      severity: "high",
      message: `AMI ${f.imageId} is in state "${f.state}", not "available".`,
      fix: "Use an available image: the current release of your golden-image pipeline.",
    });
  }
  if (f.deprecationTime && f.deprecationTime.getTime() <= now.getTime()) {
    out.push({
      rule: RULES.stale,
      severity: "medium",
      message: `AMI ${f.imageId} was deprecated on ${f.deprecationTime.toISOString().slice(0, 10)}.`,
      fix: "Move to the current image of the same line and roll it out by replacement.",
    });
  }
  if (f.creationDate) {
    const age = Math.floor((now.getTime() - f.creationDate.getTime()) / DAY_MS);
    if (age > s.maxAgeDays) {
      out.push({
        rule: RULES.stale,
        severity: "medium",
        message: `AMI ${f.imageId} is ${age} days old (created ${f.creationDate.toISOString().slice(0, 10)}), over the maximum of ${s.maxAgeDays} days.`,
        fix: "Rebuild the image on a patched parent (run the pipeline) and roll the new AMI out by replacement.",
      });
    }
  } else {
    out.push({
      rule: RULES.stale,
      severity: "medium",
      message: `AMI ${f.imageId} has no creation date, so its age cannot be checked.`,
      fix: "Use an image whose creation date EC2 reports.",
    });
  }
  return out;
}

/** Practice 4, not found: the id is unknown to EC2 in that region (deregistered, mistyped or not shared). */
export function judgeMissing(imageId: string, region: string): Finding {
  return {
    rule: RULES.missing,
    severity: "high",
    message: `AMI ${imageId} was not found in ${region}: it is deregistered, mistyped, in another region or not shared with this account.`,
    fix: "Use the id of an available, approved image in this region.",
  };
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
