/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { AuditTrail } from "../../components/audit-trail";
import type { AccountContext, PolicyDocument } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const ctx: AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "eu-west-1",
  environment: "staging",
};

describe("AuditTrail", function () {
  let rec: Recorder;
  let audit: AuditTrail;
  const inputs = (type: string, name: string) => rec.one(type, name).inputs as Record<string, any>;
  before(async function () {
    rec = await installMocks({ region: "eu-west-1" });
    audit = new AuditTrail("a", {
      account: ctx,
      environment: "staging",
      logRetentionDays: 90,
      bucketRetentionDays: 365,
      keyDeletionWindowDays: 30,
      tags: { ManagedBy: "ami-guard" },
    });
    await settle(audit.trailArn, audit.bucketArn, audit.logGroupArn, audit.keyArn);
  });

  it("declares exactly the trail, its key, bucket (with its five settings), log group and delivery role", async function () {
    const urn = await promiseOf(audit.urn);
    const types = rec.registrations
      .filter((r) => r.parent === urn)
      .map((r) => r.type)
      .sort();
    assert.deepEqual(types, [
      "aws:cloudtrail/trail:Trail",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:kms/alias:Alias",
      "aws:kms/key:Key",
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "aws:s3/bucketVersioning:BucketVersioning",
    ]);
  });

  it("makes a multi-region, validated, KMS-encrypted trail delivering to CloudWatch Logs", async function () {
    const keyArn = await promiseOf(audit.keyArn);
    const trail = inputs("aws:cloudtrail/trail:Trail", "a-trail");
    assert.equal(trail.name, "ami-guard-staging");
    assert.equal(trail.isMultiRegionTrail, true);
    assert.equal(trail.includeGlobalServiceEvents, true);
    assert.equal(trail.enableLogFileValidation, true);
    assert.equal(trail.enableLogging, true);
    assert.equal(trail.kmsKeyId, keyArn);
    assert.equal(trail.cloudWatchLogsGroupArn, `${await promiseOf(audit.logGroupArn)}:*`);
    assert.equal(trail.cloudWatchLogsRoleArn, "arn:aws:iam::111111111111:role/ami-guard-staging-trail-logs");
    assert.deepEqual(trail.eventSelectors, [{ readWriteType: "All", includeManagementEvents: true }]);
    const trailReg = rec.one("aws:cloudtrail/trail:Trail", "a-trail");
    const policyUrn = rec.one("aws:s3/bucketPolicy:BucketPolicy", "a-bucket-policy").urn;
    assert.ok(trailReg.dependencies.includes(policyUrn), "trail waits for the bucket policy");
    const group = inputs("aws:cloudwatch/logGroup:LogGroup", "a-log-group");
    assert.equal(group.name, "/aws/cloudtrail/ami-guard-staging");
    assert.equal(group.retentionInDays, 90);
    assert.equal(group.kmsKeyId, keyArn);
    const rolePolicy = JSON.parse(
      inputs("aws:iam/rolePolicy:RolePolicy", "a-logs-role-policy").policy,
    ) as PolicyDocument;
    assert.deepEqual(rolePolicy.Statement[0].Resource, `${await promiseOf(audit.logGroupArn)}:log-stream:*`);
    const trust = JSON.parse(inputs("aws:iam/role:Role", "a-logs-role").assumeRolePolicy) as PolicyDocument;
    assert.deepEqual(trust.Statement[0].Principal, { Service: "cloudtrail.amazonaws.com" });
    assert.equal(
      trust.Statement[0].Condition?.StringEquals["aws:SourceArn"],
      "arn:aws:cloudtrail:eu-west-1:111111111111:trail/ami-guard-staging",
    );
  });

  it("locks the bucket: public access blocked, owner enforced, versioned, KMS-encrypted, expiring, TLS-only", async function () {
    const bucket = await promiseOf(audit.bucketName);
    const pab = inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "a-bucket-public-access");
    assert.deepEqual(
      [
        pab.bucket,
        pab.blockPublicAcls,
        pab.blockPublicPolicy,
        pab.ignorePublicAcls,
        pab.restrictPublicBuckets,
      ],
      [bucket, true, true, true, true],
    );
    assert.equal(inputs("aws:s3/bucket:Bucket", "a-bucket").forceDestroy, false);
    assert.equal(
      inputs("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "a-bucket-ownership").rule
        .objectOwnership,
      "BucketOwnerEnforced",
    );
    assert.equal(
      inputs("aws:s3/bucketVersioning:BucketVersioning", "a-bucket-versioning").versioningConfiguration
        .status,
      "Enabled",
    );
    const sse = inputs(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "a-bucket-encryption",
    );
    assert.equal(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.equal(
      sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId,
      await promiseOf(audit.keyArn),
    );
    const lc = inputs(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "a-bucket-lifecycle",
    );
    assert.equal(lc.rules[0].status, "Enabled");
    assert.equal(lc.rules[0].expiration.days, 365);
    assert.equal(lc.rules[0].noncurrentVersionExpiration.noncurrentDays, 365);
    const policy = JSON.parse(
      inputs("aws:s3/bucketPolicy:BucketPolicy", "a-bucket-policy").policy,
    ) as PolicyDocument;
    assert.deepEqual(
      policy.Statement.map((s) => s.Sid),
      ["CloudTrailAclCheck", "CloudTrailWrite", "OnlyCloudTrailWrites", "TlsOnly"],
    );
    assert.deepEqual(policy.Statement[3].Condition, { Bool: { "aws:SecureTransport": "false" } });
  });
});
