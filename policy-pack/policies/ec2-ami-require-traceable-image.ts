import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { shortType } from "../runtime/policy";
import { TYPES, amiUses } from "../rules/resources";
import { UNKNOWN, plain, rec } from "../rules/values";

/** Resource types that make an AMI inside the stack; each is judged by the pack's resource policies. */
const PRODUCERS: ReadonlySet<string> = new Set([
  TYPES.amiCopy,
  TYPES.ami,
  TYPES.amiFromInstance,
  "aws:imagebuilder/image:Image",
  "aws-native:imagebuilder:Image",
]);

/** Follows dependencies (breadth first, bounded) looking for an AMI producer. */
function producerOf(start: readonly PolicyResource[]): PolicyResource | undefined {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0 && seen.size < 500) {
    const r = queue.shift()!;
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    if (PRODUCERS.has(r.type)) return r;
    queue.push(...(r.dependencies ?? []));
  }
  return undefined;
}

/**
 * Stack policy for AMI ids that are unknown at preview: where the stack makes the AMI itself, its producer
 * (and the recipe and distribution it builds from) is what the resource policies judge now; anything else
 * can only be judged at update, and this policy says so. Resource policies stay the gate: a stack policy
 * cannot stop `pulumi up --skip-preview`.
 */
export const ec2AmiRequireTraceableImage: StackValidationPolicy = {
  name: "ec2-ami-require-traceable-image",
  displayName: "Require AMIs unknown at preview to come from a producer in the stack",
  description:
    "Reports resources whose AMI id is unknown at preview and is not made by an AMI-making resource of the same stack, because nothing in the preview vouches for that image before the update.",
  remediationSteps:
    "1. Make the AMI in the stack (Image Builder image or encrypted AmiCopy) so the pack judges its producer at preview. 2. Or pin an approved AMI id in stack config so it is looked up at preview.",
  enforcementLevel: "advisory",
  severity: "medium",
  tags: ["ami-guard", "practice-1-trusted-amis", "practice-9-immutable-infrastructure"],
  configSchema: { properties: {} },
  validateStack: (args, reportViolation) => {
    for (const r of args.resources) {
      let uses;
      try {
        uses = amiUses(r.type, rec(plain(r.props)));
      } catch {
        continue;
      }
      for (const use of uses.filter((u) => u.imageId === UNKNOWN)) {
        const top = use.path.replace(/[.[].*$/, "");
        const deps = r.propertyDependencies?.[top] ?? r.dependencies ?? [];
        const producer = producerOf(deps);
        if (!producer) {
          reportViolation(
            `${shortType(r.type)} "${r.name}": the AMI at ${use.path} is unknown at preview and not made by a resource of this stack, so it is judged only at update. Pin an approved AMI id or make the image in the stack.`,
            r.urn,
          );
        }
      }
    }
  },
};
