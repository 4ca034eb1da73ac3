import { failedClosed, amiSource, lookUpUses, resourcePolicy } from "../core/policy";
import { RULES, judgePermissions, judgeSharing } from "../core/rules";
import { configSchema } from "../core/settings";
import { LAUNCHERS, TYPES, grantedPermission, madeImages } from "../core/resources";
import { UNKNOWN, str } from "../core/values";

/** Practice 6: never public; only allow-listed accounts, organizations and OUs. */
export const ec2AmiDisallowPublicSharing = resourcePolicy({
  name: RULES.shared,
  displayName: "Disallow public AMIs and sharing outside the allow-list",
  severity: "critical",
  tags: ["ami-guard", "practice-6-limit-sharing"],
  description:
    "Blocks public AMIs (group all), AMIs shared with accounts, organizations or OUs outside the allow-list, launches of your own images that are public, and turning image block public access off.",
  remediationSteps:
    "1. Remove group=all launch permissions and keep image block public access at block-new-sharing in every region. 2. Share only with allowedAccounts, allowedOrganizations or allowedOrganizationalUnits. 3. Make any public image of yours private (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]).",
  configSchema: configSchema([
    "allowedAccounts",
    "allowedOrganizations",
    "allowedOrganizationalUnits",
    "trustedOwners",
  ]),
  types: [
    ...LAUNCHERS,
    TYPES.imageRecipe,
    TYPES.amiCopy,
    TYPES.launchPermission,
    TYPES.distribution,
    TYPES.imageBlockPublicAccess,
  ],
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
    for (const made of madeImages(view.type, view.props)) {
      if (made.launchPermissions === UNKNOWN) continue;
      emit(
        judgePermissions(`the AMI it makes${made.path ? ` (${made.path})` : ""}`, made.launchPermissions, s),
      );
    }
    const src = amiSource();
    for (const o of await lookUpUses(view, ["deploy", "source"])) {
      if (o.kind === "failed") {
        report(failedClosed("the sharing", o));
        continue;
      }
      if (o.kind !== "facts") continue;
      let facts = o.facts;
      if (facts.launchPermissions === undefined && !facts.ownerAlias && typeof src !== "string") {
        // Only the owner can read launch permissions; for anyone else this answers undefined.
        const perms = await src.launchPermissions(facts.imageId, o.region);
        if (perms) facts = { ...facts, launchPermissions: perms };
      }
      for (const f of judgeSharing(facts, s)) report(`${f.message} (${o.use.path}) Fix: ${f.fix}`);
    }
  },
});
