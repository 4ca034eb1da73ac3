import { failedClosed, CheckedAtUpdate, lookUpUses, resourcePolicy, shortType } from "../runtime/policy";
import { RULES } from "../rules/rules";
import { LAUNCH_CONFIGURATION_REFERENCES, USERS } from "../rules/resources";
import { str } from "../rules/values";

/** Practice 4 and 1: an AMI id EC2 does not know (deregistered, mistyped, not shared) is blocked. */
export const ec2AmiDisallowMissingImage = resourcePolicy({
  rule: RULES.missing,
  types: USERS,
  scansUnlisted: true,
  async validate(view, report) {
    let unknownPath: string | undefined;
    const lcPath = LAUNCH_CONFIGURATION_REFERENCES[view.type];
    const lc = lcPath === undefined ? undefined : str(view.props[lcPath]);
    if (typeof lc === "string") {
      report(
        `${lcPath} names launch configuration "${lc}", whose AMI the pack cannot verify before deployment (launch configurations are not looked up). Fix: launch from a launch template (launchTemplate with a pinned version), whose image the pack judges.`,
      );
    }
    for (const o of await lookUpUses(view, ["deploy", "source"])) {
      if (o.kind === "missing") report(`${o.finding.message} (${o.use.path}) Fix: ${o.finding.fix}`);
      else if (o.kind === "not-ami") {
        report(
          `${o.use.path} is "${o.ref}", not an AMI id or a reference the pack can resolve (resolve:ssm:<parameter>), so the image it names cannot be verified before deployment. Fix: reference an approved AMI id (ami-…) or an SSM parameter that holds one.`,
        );
      } else if (o.kind === "failed") {
        report(failedClosed("the existence", o));
      } else if (o.kind === "unknown") unknownPath = o.use.path;
    }
    if (unknownPath !== undefined) {
      throw new CheckedAtUpdate(
        `${shortType(view.type)} "${view.name}": the AMI at ${unknownPath} is not known until the update; it will be looked up and judged then (its producer in this stack is judged now).`,
        unknownPath,
      );
    }
  },
});
