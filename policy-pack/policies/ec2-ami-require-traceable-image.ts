import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { policyMetadata, shortType } from "../runtime/policy";
import { STACK_RULES } from "../rules/catalogue";
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
  ...policyMetadata(STACK_RULES.traceable),
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
