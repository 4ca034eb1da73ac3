import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  amiGuardName,
  OWNER_READ_ROLE_NAME,
  ownerReadBoundary,
  ownerReadPolicy,
  ownerReadTrustPolicy,
  ROLE_PATH,
  type OwnerReadTrust,
} from "./iam";

/** Arguments of {@link AmiOwnerReadRole}. */
export interface AmiOwnerReadRoleArgs {
  /** The account's partition (`aws`, `aws-us-gov`, …). */
  readonly partition: pulumi.Input<string>;
  /** Who may assume the role: the organisation, optionally some of its OUs, and principal ARN patterns. */
  readonly trust: OwnerReadTrust;
  /** Maximum session duration, seconds: 3600, IAM's minimum (the pack and the audit ask for 900). */
  readonly maxSessionDurationSeconds?: number;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The image-build account's owner read role: lets the organisation's deploy principals (and nobody outside
 * the organisation) read what only an image's owner can see — its tags (`ec2:DescribeImages`) and launch
 * permissions (`ec2:DescribeImageAttribute`) — so that the policy pack and the audit in the workload accounts
 * judge shared golden images on their real facts (`ownerReadRoles`). Exactly those two actions, capped again
 * by its own permissions boundary.
 */
export class AmiOwnerReadRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
  readonly boundaryArn: pulumi.Output<string>;

  constructor(name: string, args: AmiOwnerReadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiOwnerReadRole", name, {}, opts);
    const trust = ownerReadTrustPolicy(args.trust);

    const boundary = new aws.iam.Policy(
      `${name}-boundary`,
      {
        name: amiGuardName(OWNER_READ_ROLE_NAME, "boundary"),
        path: ROLE_PATH,
        description:
          "AMI Guard owner read role boundary: at most ec2:DescribeImages and ec2:DescribeImageAttribute",
        policy: JSON.stringify(ownerReadBoundary()),
        tags: args.tags,
      },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: OWNER_READ_ROLE_NAME,
        path: ROLE_PATH,
        description:
          "AMI Guard: the organisation's deployers read shared images' tags and launch permissions",
        assumeRolePolicy: JSON.stringify(trust),
        permissionsBoundary: boundary.arn,
        maxSessionDuration: args.maxSessionDurationSeconds ?? 3600,
        forceDetachPolicies: true,
        tags: { ...args.tags, Role: "owner-read" },
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        name: amiGuardName("owner-read"),
        role: role.name,
        policy: pulumi.output(args.partition).apply((p) => JSON.stringify(ownerReadPolicy(p))),
      },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.boundaryArn = boundary.arn;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, boundaryArn: this.boundaryArn });
  }
}
