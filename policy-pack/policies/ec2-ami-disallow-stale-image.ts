import { resourcePolicy, judgeUses } from "../runtime/policy";
import { RULES, judgeFreshness } from "../rules/rules";
import { configSchema } from "../rules/settings";
import { USERS } from "../rules/resources";

/** Practice 4: patch and replace often. */
export const ec2AmiDisallowStaleImage = resourcePolicy({
  name: RULES.stale,
  displayName: "Disallow old, deprecated or unavailable AMIs",
  severity: "medium",
  tags: ["ami-guard", "practice-4-patch-and-replace"],
  description:
    "Blocks resources that launch, copy or build on an AMI older than the maximum age, deprecated, or not available (deregistered, disabled, pending or failed).",
  remediationSteps:
    "1. Rebuild the image on a patched parent (run the golden-image pipeline). 2. Roll the new AMI out by replacement (instance refresh). 3. Set deprecation times on the images you make so stale images are flagged everywhere.",
  configSchema: configSchema(["maxAgeDays"]),
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
