import { resourcePolicy } from "../runtime/policy";
import { RULES } from "../rules/rules";
import { LAUNCHERS, amiUses, ignoreCovers, isUnlisted, pathsWith } from "../rules/resources";

/** Practice 9: immutable infrastructure — a new AMI rolls out by replacement, never ignored in place. */
export const ec2AmiDisallowIgnoreChanges = resourcePolicy({
  rule: RULES.mutable,
  types: [...LAUNCHERS],
  scansUnlisted: true,
  validate(view, report) {
    if (view.ignoreChanges.length === 0) return;
    // Listed types: the table's paths. Unlisted types: where the scan found an AMI reference.
    const paths = isUnlisted(view.type)
      ? amiUses(view.type, view.props).map((u) => u.path)
      : pathsWith(view.type, ["deploy", "publish", "aws-managed", "image-version", "launch-template"]);
    const ignored = view.ignoreChanges.filter((i) => paths.some((path) => ignoreCovers(i, path)));
    if (ignored.length > 0) {
      const now = amiUses(view.type, view.props).find((u) => typeof u.imageId === "string");
      const id = now ? ` (now ${String(now.imageId)})` : "";
      report(
        `ignoreChanges on ${ignored.join(", ")} keeps the old AMI running when a new one is approved${id}. Fix: remove it from ignoreChanges and roll new AMIs out by replacement (instance refresh).`,
      );
    }
  },
});
