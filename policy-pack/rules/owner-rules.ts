/**
 * The rules for images shared from another account, whose tags and launch permissions the caller cannot see
 * (EC2 keeps tags per account, and only the owner may read launch permissions). Pure functions: no I/O.
 */
import type { AmiFacts } from "./facts";
import { finding } from "./catalogue";
import { RULES, judgeTags, ownerIn, type Finding } from "./rules";
import type { AmiGuardSettings } from "./settings";

/** The setting that maps an owner account to the read-only role its facts are read through. */
export const OWNER_READ_ROLES = "ownerReadRoles";

function example(account: string): string {
  return `${OWNER_READ_ROLES} {"${account}": "arn:aws:iam::${account}:role/ami-guard/ami-owner-read"}`;
}

/** True when `account` counts as ours for the sharing rule: a trusted owner or an allow-listed account. */
export function ourAccount(account: string, s: AmiGuardSettings): boolean {
  return s.trustedOwners.includes(account) || s.allowedAccounts.includes(account);
}

/**
 * The tag rule for an image another account owns and shared with this one, without an owner read role: its
 * owner's tags are not visible here, and tags this account put on it are its own, not the builder's approval.
 * Nothing is reported when the image's owner is tag-exempt or the tags seen here pass.
 */
export function judgeHiddenTags(f: AmiFacts, account: string, s: AmiGuardSettings): Finding[] {
  if (ownerIn(f, s.tagExemptOwners) || judgeTags(f, s).length === 0) return [];
  return [
    finding({
      rule: RULES.untagged,
      kind: "unreadable",
      message: `AMI ${f.imageId} is owned by account ${account} and shared with this account: EC2 keeps tags per account, so its owner's tags (${s.requiredTags.join(", ")}) are not visible here and the image cannot be shown to be tagged and approved.`,
      fix: `Let the pack read the tags as the owner sees them: set ${example(account)} in the pack's configuration (the read role the image-build account's stack provisions). Or launch a copy of the image that this account owns.`,
    }),
  ];
}

/**
 * The sharing rule for an image of ours (a trusted or allow-listed account) that another account owns,
 * without an owner read role: only the owner can read launch permissions, so the sharing cannot be verified.
 * Unknown is a violation (fail closed). A stranger's image is the trust rule's business and is not reported.
 */
export function judgeHiddenSharing(f: AmiFacts, account: string, s: AmiGuardSettings): Finding[] {
  if (f.ownerAlias !== undefined || !ourAccount(account, s)) return [];
  return [
    finding({
      rule: RULES.shared,
      kind: "unreadable",
      message: `AMI ${f.imageId} is owned by account ${account}, and only the owner can read an image's launch permissions: who else it is shared with (public, or outside the allow-list) cannot be verified from this account. Failing closed.`,
      fix: `Let the pack read the launch permissions as the owner sees them: set ${example(account)} in the pack's configuration (the read role the image-build account's stack provisions).`,
    }),
  ];
}

/** The finding when the owner's view was configured but could not be had: names the AMI, role and cause. */
export function ownerViewFailed(
  rule: typeof RULES.untagged | typeof RULES.shared,
  imageId: string,
  account: string,
  via: string,
  region: string,
  cause: string,
): Finding {
  const what = rule === RULES.untagged ? "tags" : "launch permissions";
  const message = `cannot read the ${what} of AMI ${imageId} in ${region} as its owner, account ${account}, sees them (${via}): ${cause}. Failing closed.`;
  const fix = `Check that ${OWNER_READ_ROLES} names the read role of account ${account}, that its trust policy lets this principal assume it, and that it may call ec2:DescribeImages and ec2:DescribeImageAttribute; offline, export the owner's view into the inventory's OwnerViews.`;
  return rule === RULES.untagged
    ? finding({ rule, kind: "unreadable", message, fix })
    : finding({ rule, kind: "unreadable", message, fix });
}
