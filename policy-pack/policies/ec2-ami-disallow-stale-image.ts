import { resourcePolicy, judgeUses } from "../runtime/policy";
import { RULES, judgeFreshness } from "../rules/rules";
import { USERS } from "../rules/resources";

/** Practice 4: patch and replace often. */
export const ec2AmiDisallowStaleImage = resourcePolicy({
  rule: RULES.stale,
  types: USERS,
  scansUnlisted: true,
  async validate(view, report) {
    await judgeUses(
      view,
      report,
      ["deploy", "source"],
      (facts) => judgeFreshness(facts, view.settings, view.now),
      "the age and state",
    );
  },
});
