import { resourcePolicy } from "../core/policy";
import { RULES } from "../core/rules";
import { AMI_PROPERTIES, LAUNCHERS } from "../core/resources";

/** Practice 9: immutable infrastructure — a new AMI rolls out by replacement, never ignored in place. */
export const ec2AmiDisallowIgnoreChanges = resourcePolicy({
  name: RULES.mutable,
  displayName: "Disallow ignoring AMI changes",
  severity: "medium",
  tags: ["ami-guard", "practice-9-immutable-infrastructure"],
  description:
    "Blocks resources that ignore changes to their AMI through the ignoreChanges resource option, because they keep old images running instead of rolling new ones out by replacement.",
  remediationSteps:
    "1. Remove the AMI property from ignoreChanges. 2. Let a new AMI replace the launch template version or instance, and roll fleets with an Auto Scaling instance refresh.",
  configSchema: { properties: {} },
  types: [...LAUNCHERS],
  validate(view, report) {
    const props = AMI_PROPERTIES[view.type] ?? [];
    const ignored = view.ignoreChanges.filter((p) =>
      props.some(
        (a) =>
          p === "*" || p === a || p.startsWith(`${a}.`) || p.startsWith(`${a}[`) || a.startsWith(`${p}.`),
      ),
    );
    if (ignored.length > 0) {
      const id = typeof view.props[props[0]] === "string" ? ` (now ${String(view.props[props[0]])})` : "";
      report(
        `ignoreChanges on ${ignored.join(", ")} keeps the old AMI running when a new one is approved${id}. Fix: remove it from ignoreChanges and roll new AMIs out by replacement (instance refresh).`,
      );
    }
  },
});
