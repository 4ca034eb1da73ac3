import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  amiGuardName,
  auditorPolicy,
  builderPolicy,
  deployerPolicy,
  publisherPolicy,
  roleBoundary,
  roleName,
  ROLE_KINDS,
  ROLE_PATH,
  trustPolicy,
  type AccountContext,
  type PolicyDocument,
  type RoleKind,
  type SharingTargets,
} from "./iam";

/** Arguments of {@link AmiIamRoles}. */
export interface AmiIamRolesArgs {
  /** Account, region, partition and environment the roles serve. */
  readonly account: pulumi.Input<AccountContext>;
  /** Environment label (role names and tags). */
  readonly environment: string;
  /** The AMI key: builder and deployer use it through EC2. */
  readonly keyArn: pulumi.Input<string>;
  /** The trail bucket and log group the auditor reads. */
  readonly trailBucketArn: pulumi.Input<string>;
  readonly trailLogGroupArn: pulumi.Input<string>;
  /** Sharing allow-list (snapshot sharing conditions and boundary denies). */
  readonly sharing: SharingTargets;
  /** IAM principals (roles or users, never an account root) allowed to assume each role. */
  readonly trustedPrincipals: Readonly<Record<RoleKind, readonly string[]>>;
  /**
   * Golden images other accounts of the estate share with this one (a workload account's `ownerReadRoles`:
   * owner account id → its owner read role): the deployer may launch them and assume those read roles.
   */
  readonly sharedImageOwners?: Readonly<Record<string, string>>;
  /** Maximum session duration, seconds. */
  readonly maxSessionDurationSeconds: number;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The four scoped roles of the AMI lifecycle (builder, publisher, deployer, auditor), each with a fixed name
 * under the `/ami-guard/` path, its inline policy from {@link ./iam} and a shared permissions boundary
 * that caps every role at the union of their allowed actions and denies guardrail tampering. The builder is
 * also the Image Builder build instance's role (instance profile).
 */
export class AmiIamRoles extends pulumi.ComponentResource {
  readonly roleArns: Record<RoleKind, pulumi.Output<string>>;
  readonly roleNames: Record<RoleKind, pulumi.Output<string>>;
  readonly boundaryArn: pulumi.Output<string>;
  readonly builderInstanceProfileName: pulumi.Output<string>;

  constructor(name: string, args: AmiIamRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiIamRoles", name, {}, opts);

    const docs = pulumi
      .all([args.account, args.keyArn, args.trailBucketArn, args.trailLogGroupArn])
      .apply(([ctx, keyArn, bucketArn, logGroupArn]) => {
        const d: Record<RoleKind, PolicyDocument> = {
          builder: builderPolicy(ctx, keyArn),
          publisher: publisherPolicy(ctx, args.sharing),
          deployer: deployerPolicy(ctx, keyArn, args.sharedImageOwners),
          auditor: auditorPolicy(ctx, { trailBucketArn: bucketArn, trailLogGroupArn: logGroupArn }),
        };
        return { roles: d, boundary: roleBoundary(ctx, args.sharing, Object.values(d)) };
      });

    const boundary = new aws.iam.Policy(
      `${name}-boundary`,
      {
        name: amiGuardName(args.environment, "boundary"),
        path: ROLE_PATH,
        description:
          "AMI Guard permissions boundary: caps every AMI Guard role and denies guardrail tampering",
        policy: docs.apply((d) => JSON.stringify(d.boundary)),
        tags: args.tags,
      },
      { parent: this },
    );

    const arns = {} as Record<RoleKind, pulumi.Output<string>>;
    const names = {} as Record<RoleKind, pulumi.Output<string>>;
    let builderRole: aws.iam.Role | undefined;
    for (const kind of ROLE_KINDS) {
      const role = new aws.iam.Role(
        `${name}-${kind}`,
        {
          name: roleName(args.environment, kind),
          path: ROLE_PATH,
          description: `AMI Guard ${kind} (${args.environment})`,
          assumeRolePolicy: pulumi
            .output(args.account)
            .apply((ctx) =>
              JSON.stringify(
                trustPolicy(
                  args.trustedPrincipals[kind],
                  kind === "builder" ? ["ec2.amazonaws.com"] : [],
                  ctx.accountId,
                ),
              ),
            ),
          permissionsBoundary: boundary.arn,
          maxSessionDuration: args.maxSessionDurationSeconds,
          forceDetachPolicies: true,
          tags: { ...args.tags, Role: kind },
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        `${name}-${kind}-policy`,
        {
          name: amiGuardName(kind),
          role: role.name,
          policy: docs.apply((d) => JSON.stringify(d.roles[kind])),
        },
        { parent: this },
      );
      arns[kind] = role.arn;
      names[kind] = role.name;
      if (kind === "builder") builderRole = role;
    }

    const profile = new aws.iam.InstanceProfile(
      `${name}-builder-profile`,
      {
        name: `${roleName(args.environment, "builder")}-profile`,
        path: ROLE_PATH,
        role: builderRole!.name,
        tags: args.tags,
      },
      { parent: this },
    );

    this.roleArns = arns;
    this.roleNames = names;
    this.boundaryArn = boundary.arn;
    this.builderInstanceProfileName = profile.name;
    this.registerOutputs({
      roleArns: this.roleArns,
      boundaryArn: this.boundaryArn,
      builderInstanceProfileName: this.builderInstanceProfileName,
    });
  }
}
