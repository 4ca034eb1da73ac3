import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { amiGuardName, guardrailScp } from "./iam";

/** Arguments of {@link OrganizationGuardrails}. */
export interface OrganizationGuardrailsArgs {
  /** AWS partition (`aws`, `aws-us-gov`, …). */
  readonly partition: pulumi.Input<string>;
  /** Environment label (policy name). */
  readonly environment: string;
  /** Organization root (`r-…`), OU (`ou-…`) or account ids to attach the policy to. */
  readonly targetIds: readonly string[];
  /** Tags of the policy. */
  readonly tags: Record<string, string>;
}

/**
 * Optional organisation guardrail: a service control policy (see {@link guardrailScp}) that denies public
 * snapshot sharing, disabling image/snapshot block public access, Allowed AMIs or EBS encryption by default,
 * and stopping or deleting AMI Guard trails — attached to the configured targets. Deploy it from the
 * management account (or a delegated policy administrator).
 */
export class OrganizationGuardrails extends pulumi.ComponentResource {
  readonly policyId: pulumi.Output<string>;

  constructor(name: string, args: OrganizationGuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:OrganizationGuardrails", name, {}, opts);
    if (args.targetIds.length === 0)
      throw new Error(`${name}: OrganizationGuardrails needs at least one target id`);

    const policy = new aws.organizations.Policy(
      `${name}-scp`,
      {
        name: amiGuardName(args.environment, "guardrails"),
        description:
          "AMI Guard: no public AMI/snapshot sharing, no disabling AMI guardrails, no stopping the trail",
        type: "SERVICE_CONTROL_POLICY",
        content: pulumi.output(args.partition).apply((p) => JSON.stringify(guardrailScp(p))),
        tags: args.tags,
      },
      { parent: this },
    );
    for (const target of args.targetIds) {
      new aws.organizations.PolicyAttachment(
        `${name}-attach-${target}`,
        { policyId: policy.id, targetId: target },
        { parent: this },
      );
    }
    this.policyId = policy.id;
    this.registerOutputs({ policyId: this.policyId });
  }
}
