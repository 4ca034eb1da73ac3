import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AllowedImagesState, SnapshotBlockPublicAccessState } from "../config";

/** Arguments of {@link AccountGuardrails}. */
export interface AccountGuardrailsArgs {
  /** This account's id: always an allowed image provider (the fleet runs the AMIs this account builds). */
  readonly accountId: pulumi.Input<string>;
  /** EC2 Allowed AMIs state: `audit-mode` (log only) or `enabled` (enforce). Never `disabled`. */
  readonly allowedImagesState: AllowedImagesState;
  /** Further allowed image providers (`amazon` for the pipeline's parent images, account ids, …). */
  readonly allowedImageProviders: readonly string[];
  /** Maximum age of an allowed AMI, days since creation. */
  readonly maxImageAgeDays: number;
  /** EBS snapshot block public access state. */
  readonly snapshotBlockPublicAccessState: SnapshotBlockPublicAccessState;
  /** Days a deregistered AMI (and a deleted EBS snapshot) stays restorable from the Recycle Bin. */
  readonly recycleBinRetentionDays: number;
  /** Tags of every taggable resource. */
  readonly tags: Record<string, string>;
}

/**
 * Regional account guardrails for AMIs: image block public access (`block-new-sharing`), snapshot block
 * public access, EC2 Allowed AMIs with criteria from config, and Recycle Bin retention rules for AMIs and their
 * snapshots so that an AMI deregistered by mistake can be restored.
 */
export class AccountGuardrails extends pulumi.ComponentResource {
  readonly allowedImagesState: pulumi.Output<string>;
  readonly imageBlockPublicAccessState: pulumi.Output<string>;

  constructor(name: string, args: AccountGuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AccountGuardrails", name, {}, opts);

    const ibpa = new aws.ec2.ImageBlockPublicAccess(
      `${name}-image-block-public-access`,
      { state: "block-new-sharing" },
      { parent: this },
    );
    new aws.ebs.SnapshotBlockPublicAccess(
      `${name}-snapshot-block-public-access`,
      { state: args.snapshotBlockPublicAccessState },
      { parent: this },
    );
    const allowed = new aws.ec2.AllowedImagesSettings(
      `${name}-allowed-images`,
      {
        state: args.allowedImagesState,
        imageCriterions: [
          {
            imageProviders: pulumi
              .output(args.accountId)
              .apply((id) => [id, ...args.allowedImageProviders.filter((p) => p !== id)]),
            creationDateCondition: { maximumDaysSinceCreated: args.maxImageAgeDays },
          },
        ],
      },
      { parent: this },
    );
    const retention = { retentionPeriodUnit: "DAYS", retentionPeriodValue: args.recycleBinRetentionDays };
    new aws.rbin.Rule(
      `${name}-recycle-bin-images`,
      {
        description: "AMI Guard: deregistered AMIs stay restorable",
        resourceType: "EC2_IMAGE",
        retentionPeriod: retention,
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.rbin.Rule(
      `${name}-recycle-bin-snapshots`,
      {
        description: "AMI Guard: deleted snapshots (of deregistered AMIs) stay restorable",
        resourceType: "EBS_SNAPSHOT",
        retentionPeriod: retention,
        tags: args.tags,
      },
      { parent: this },
    );

    this.allowedImagesState = allowed.state;
    this.imageBlockPublicAccessState = ibpa.state;
    this.registerOutputs({
      allowedImagesState: this.allowedImagesState,
      imageBlockPublicAccessState: this.imageBlockPublicAccessState,
    });
  }
}
