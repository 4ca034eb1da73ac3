import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  amiGuardName,
  auditKeyPolicy,
  keyAliasName,
  trailBucketPolicy,
  trailLogGroupName,
  trailLogsRolePolicy,
  trailLogsTrustPolicy,
  trailName,
  type AccountContext,
} from "./iam";

/** Arguments of {@link AuditTrail}. */
export interface AuditTrailArgs {
  /** Account, region, partition and environment of the trail. */
  readonly account: pulumi.Input<AccountContext>;
  /** Environment label (trail, log group and key alias names). */
  readonly environment: string;
  /** CloudWatch Logs retention of the trail's log group, days. */
  readonly logRetentionDays: number;
  /** Days trail files are kept in the bucket (current and noncurrent versions). */
  readonly bucketRetentionDays: number;
  /** Waiting period before the audit key is deleted, days (7-30). */
  readonly keyDeletionWindowDays: number;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The audit trail: a multi-region CloudTrail trail with log-file validation, encrypted with its own rotating
 * KMS key, delivering to a KMS-encrypted CloudWatch Logs group with retention (through a role that may write
 * only to that group) and to an S3 bucket with public access blocked, bucket-owner-enforced ownership,
 * versioning, KMS default encryption, a lifecycle, and a TLS-only policy that lets nobody but this trail write.
 * The audit key also encrypts the alarm topic ({@link AmiActivityAlarms}).
 */
export class AuditTrail extends pulumi.ComponentResource {
  readonly trailArn: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly logGroupArn: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AuditTrail", name, {}, opts);
    const account = pulumi.output(args.account);

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `AMI Guard (${args.environment}): encrypts the audit trail, its log group and the alarm topic`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: args.keyDeletionWindowDays,
        policy: account.apply((ctx) => JSON.stringify(auditKeyPolicy(ctx))),
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: keyAliasName(args.environment, "audit"), targetKeyId: key.keyId },
      { parent: this },
    );

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucketPrefix: `${amiGuardName(args.environment, "trail")}-`, forceDestroy: false, tags: args.tags },
      { parent: this },
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-bucket-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-bucket-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    new aws.s3.BucketVersioning(
      `${name}-bucket-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-bucket-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-bucket-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-trail-files",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.bucketRetentionDays },
            noncurrentVersionExpiration: { noncurrentDays: args.bucketRetentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this },
    );
    const bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([account, bucket.arn])
          .apply(([ctx, arn]) => JSON.stringify(trailBucketPolicy(ctx, arn))),
      },
      { parent: this, dependsOn: [publicAccess] },
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-log-group`,
      {
        name: trailLogGroupName(args.environment),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: key.arn,
        tags: args.tags,
      },
      { parent: this },
    );
    const logsRole = new aws.iam.Role(
      `${name}-logs-role`,
      {
        name: amiGuardName(args.environment, "trail-logs"),
        description: "CloudTrail delivery to the AMI Guard trail log group",
        assumeRolePolicy: account.apply((ctx) => JSON.stringify(trailLogsTrustPolicy(ctx))),
        tags: args.tags,
      },
      { parent: this },
    );
    const logsRolePolicy = new aws.iam.RolePolicy(
      `${name}-logs-role-policy`,
      {
        name: "deliver-to-trail-log-group",
        role: logsRole.name,
        policy: logGroup.arn.apply((arn) => JSON.stringify(trailLogsRolePolicy(arn))),
      },
      { parent: this },
    );

    const trail = new aws.cloudtrail.Trail(
      `${name}-trail`,
      {
        name: trailName(args.environment),
        s3BucketName: bucket.id,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        enableLogging: true,
        kmsKeyId: key.arn,
        cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
        cloudWatchLogsRoleArn: logsRole.arn,
        eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
        tags: args.tags,
      },
      { parent: this, dependsOn: [bucketPolicy, logsRolePolicy] },
    );

    this.trailArn = trail.arn;
    this.bucketName = bucket.id;
    this.bucketArn = bucket.arn;
    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.keyArn = key.arn;
    this.registerOutputs({
      trailArn: this.trailArn,
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      logGroupName: this.logGroupName,
      logGroupArn: this.logGroupArn,
      keyArn: this.keyArn,
    });
  }
}
