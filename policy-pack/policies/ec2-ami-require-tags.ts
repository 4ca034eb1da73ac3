import { failedClosed, judgeAsSeen, lookUpUses, resourcePolicy } from "../runtime/policy";
import { RULES, judgeTagMap } from "../rules/rules";
import { MAKERS, USERS, madeImages } from "../rules/resources";
import { UNKNOWN } from "../rules/values";

/** Practice 5: versioning and tagging (version, environment, approval). */
export const ec2AmiRequireTags = resourcePolicy({
  rule: RULES.untagged,
  types: [...USERS, ...MAKERS],
  async validate(view, report) {
    const s = view.settings;
    for (const made of madeImages(view.type, view.props)) {
      if (made.tags === UNKNOWN) continue;
      const known: Record<string, string> = {};
      for (const [k, v] of Object.entries(made.tags)) known[k] = v === UNKNOWN ? "(unknown)" : v;
      // An image being made is not approved yet: require the keys; values are judged when it is launched.
      for (const f of judgeTagMap(`the AMI it makes${made.path ? ` (${made.path})` : ""}`, known, {
        ...s,
        allowedTagValues: {},
      })) {
        report(`${f.message} Fix: ${f.fix}`);
      }
    }
    // Tags are per account: a shared image is judged on its owner's tags where ownerReadRoles maps its owner.
    for (const o of await lookUpUses(view, ["deploy"])) {
      if (o.kind === "failed") report(failedClosed("the tags", o));
      if (o.kind !== "facts") continue;
      for (const f of await judgeAsSeen("tags", o, s)) report(`${f.message} (${o.use.path}) Fix: ${f.fix}`);
    }
  },
});
