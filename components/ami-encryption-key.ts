import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  amiGuardName,
  amiKeyPolicy,
  keyAliasName,
  serviceLinkedRoleArn,
  type AccountContext,
  type SharingTargets,
} from "./iam";

/** Arguments of {@link AmiEncryptionKey}. */
export interface AmiEncryptionKeyArgs {
  /** Account, region, partition and environment the key serves. */
  readonly account: pulumi.Input<AccountContext>;
  /** Environment label (alias name and tags). */
  readonly environment: string;
  /** Accounts, organizations and OUs that may use the key (through EC2) to launch AMIs shared with them. */
  readonly sharing: SharingTargets;
  /** Waiting period, in days, before a key scheduled for deletion is deleted (7-30). */
  readonly deletionWindowDays: number;
  /** Grant the key to the Auto Scaling service-linked role, so fleets can launch encrypted volumes. */
  readonly grantToAutoScaling: boolean;
  /** Create the Auto Scaling service-linked role first (false when the account already has it). */
  readonly createAutoScalingServiceLinkedRole: boolean;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The customer-managed KMS key that encrypts every AMI snapshot and fleet volume: yearly rotation, an alias,
 * a key policy that confines use to EC2 (see {@link amiKeyPolicy}), a grant for Auto Scaling's service-linked
 * role, and the account guardrails EBS encryption by default with this key as the default EBS key.
 */
export class AmiEncryptionKey extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: AmiEncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiEncryptionKey", name, {}, opts);
    const account = pulumi.output(args.account);

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `AMI Guard (${args.environment}): encrypts AMI snapshots and fleet volumes; usable only through EC2`,
        keyUsage: "ENCRYPT_DECRYPT",
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: args.deletionWindowDays,
        isEnabled: true,
        multiRegion: false,
        policy: account.apply((ctx) => JSON.stringify(amiKeyPolicy(ctx, args.sharing))),
        tags: args.tags,
      },
      { parent: this },
    );
    const alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: keyAliasName(args.environment, "ami"), targetKeyId: key.keyId },
      { parent: this },
    );

    const ebsDefault = new aws.ebs.EncryptionByDefault(
      `${name}-ebs-encryption-by-default`,
      { enabled: true },
      { parent: this },
    );
    new aws.ebs.DefaultKmsKey(
      `${name}-ebs-default-key`,
      { keyArn: key.arn },
      { parent: this, dependsOn: [ebsDefault] },
    );

    if (args.grantToAutoScaling) {
      const slr = args.createAutoScalingServiceLinkedRole
        ? new aws.iam.ServiceLinkedRole(
            `${name}-autoscaling-slr`,
            { awsServiceName: "autoscaling.amazonaws.com", description: "Auto Scaling (AMI Guard fleets)" },
            { parent: this },
          )
        : undefined;
      new aws.kms.Grant(
        `${name}-autoscaling-grant`,
        {
          name: amiGuardName(args.environment, "autoscaling"),
          keyId: key.arn,
          granteePrincipal: slr ? slr.arn : account.apply((ctx) => serviceLinkedRoleArn(ctx, "autoscaling")),
          operations: [
            "Encrypt",
            "Decrypt",
            "ReEncryptFrom",
            "ReEncryptTo",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "DescribeKey",
            "CreateGrant",
          ],
        },
        { parent: this },
      );
    }

    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName });
  }
}
