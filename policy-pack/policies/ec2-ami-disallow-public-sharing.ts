import { failedClosed, judgeAsSeen, lookUpUses, resourcePolicy } from "../runtime/policy";
import { RULES, judgePermissions } from "../rules/rules";
import {
  TYPES,
  USERS,
  grantedPermission,
  imageAccounts,
  imageExports,
  madeImages,
  typesWith,
} from "../rules/resources";
import { UNKNOWN, str } from "../rules/values";

/** Practice 6: never public; only allow-listed accounts, organizations and OUs. */
export const ec2AmiDisallowPublicSharing = resourcePolicy({
  rule: RULES.shared,
  types: [
    ...USERS,
    ...typesWith("launch-permission", "image-account", "export", "snapshot-permission"),
    TYPES.imageBlockPublicAccess,
  ],
  scansUnlisted: true,
  async validate(view, report) {
    const s = view.settings;
    const emit = (findings: { message: string; fix: string }[]) => {
      for (const f of findings) report(`${f.message} Fix: ${f.fix}`);
    };
    if (view.type === TYPES.imageBlockPublicAccess) {
      const state = str(view.props.state);
      if (state !== UNKNOWN && state !== "block-new-sharing") {
        report(
          `image block public access is "${state ?? "unset"}", so AMIs can be made public. Fix: set state to "block-new-sharing".`,
        );
      }
      return;
    }
    if (view.type === TYPES.launchPermission) {
      const p = grantedPermission(view.props);
      if (p === UNKNOWN) return;
      const image = str(view.props.imageId);
      emit(
        judgePermissions(`AMI ${image === UNKNOWN ? "(id known at update)" : (image ?? "(no id)")}`, [p], s),
      );
      return;
    }
    if (view.type === TYPES.snapshotPermission) {
      const account = str(view.props.accountId);
      const snapshot = str(view.props.snapshotId);
      if (account === UNKNOWN) return;
      const subject = `snapshot ${snapshot === UNKNOWN ? "(id known at update)" : (snapshot ?? "(no id)")}`;
      if (account === undefined || !s.allowedAccounts.includes(account)) {
        report(
          `${subject} lets account ${account ?? "(none)"}, which is not in allowedAccounts, create volumes from it: that account can read every byte of an AMI's disk. Fix: share snapshots only with allowedAccounts, or share the AMI itself within the allow-list.`,
        );
      }
      return;
    }
    for (const a of imageAccounts(view.type, view.props)) {
      emit(judgePermissions(`the AMI it makes (${a.path})`, [{ UserId: a.accountId }], s));
    }
    for (const x of imageExports(view.type, view.props)) {
      if (x.bucket === UNKNOWN) continue;
      report(
        `the AMI it makes is exported to S3 bucket ${x.bucket ?? "(none)"} (${x.path}): the exported disk image leaves launch permissions behind, and the pack cannot verify that the bucket belongs to an allow-listed account. Fix: remove s3ExportConfiguration, or export in a separate, reviewed step to a bucket of an allow-listed account.`,
      );
    }
    for (const made of madeImages(view.type, view.props)) {
      if (made.launchPermissions === UNKNOWN) continue;
      emit(
        judgePermissions(`the AMI it makes${made.path ? ` (${made.path})` : ""}`, made.launchPermissions, s),
      );
    }
    for (const o of await lookUpUses(view, ["deploy", "source"])) {
      if (o.kind === "failed") {
        report(failedClosed("the sharing", o));
        continue;
      }
      if (o.kind !== "facts") continue;
      // Only the owner can read launch permissions: a shared image's are read through ownerReadRoles.
      for (const f of await judgeAsSeen("sharing", o, s))
        report(`${f.message} (${o.use.path}) Fix: ${f.fix}`);
    }
  },
});
