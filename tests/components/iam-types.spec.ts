/**
 * The document types of components/iam are the provider's: every document the builders make is an
 * `aws.iam.PolicyDocument`, and a document that does not fit does not compile. The `@ts-expect-error` lines
 * are checked by `npm run typecheck` (tsconfig includes tests/): each must be a type error, or the build fails.
 */
import assert from "node:assert/strict";
import type * as aws from "@pulumi/aws";
import * as iam from "../../components/iam";

const ctx: iam.AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const KEY = "arn:aws:kms:us-east-1:111111111111:key/k";
const sharing: iam.SharingTargets = {
  accountIds: ["222222222222"],
  organizationArns: [],
  organizationalUnitArns: [],
};

describe("components/iam: document types", function () {
  it("every document is the provider's aws.iam.PolicyDocument", function () {
    const roles = [
      iam.builderPolicy(ctx, KEY),
      iam.publisherPolicy(ctx, sharing),
      iam.deployerPolicy(ctx, KEY),
      iam.auditorPolicy(ctx, {
        trailBucketArn: "arn:aws:s3:::b",
        trailLogGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:g",
      }),
    ];
    const docs: aws.iam.PolicyDocument[] = [
      ...roles,
      iam.roleBoundary(ctx, sharing, roles),
      iam.trustPolicy(["arn:aws:iam::111111111111:role/ci"], ["ec2.amazonaws.com"], ctx.accountId),
      iam.imageBuilderLifecycleTrustPolicy(ctx),
      iam.auditCommandPolicy("aws"),
      iam.amiKeyPolicy(ctx, sharing),
      iam.auditKeyPolicy(ctx),
      iam.trailBucketPolicy(ctx, "arn:aws:s3:::b"),
      iam.trailLogsTrustPolicy(ctx),
      iam.trailLogsRolePolicy("arn:aws:logs:us-east-1:111111111111:log-group:g"),
      iam.alarmTopicPolicy(ctx, "arn:aws:sns:us-east-1:111111111111:t"),
      iam.guardrailScp("aws"),
      iam.auditorFunctionPolicy(ctx, { logGroupArn: "l", deadLetterQueueArn: "q", alarmTopicArn: "t" }, true),
      iam.auditorTrustPolicy(ctx),
      iam.deadLetterQueuePolicy(ctx, "q", ["r"]),
      iam.ownerReadTrustPolicy({
        organizationId: "o-exampleorgid",
        organizationPaths: [],
        principalArnPatterns: ["arn:aws:iam::*:role/ci"],
      }),
      iam.ownerReadPolicy("aws"),
      iam.ownerReadBoundary(),
    ];
    for (const d of docs) {
      assert.equal(d.Version, "2012-10-17");
      assert.ok(Array.isArray(d.Statement) && d.Statement.length > 0);
    }
  });

  it("does not compile a document that does not fit (checked by npm run typecheck)", function () {
    const bad: iam.PolicyStatement[] = [
      // @ts-expect-error -- an effect IAM does not know
      { Sid: "UnknownEffect", Effect: "Permit", Action: "ec2:DescribeImages", Resource: "*" },
      // @ts-expect-error -- a statement without an action
      { Sid: "NoAction", Effect: "Allow", Resource: "*" },
      // @ts-expect-error -- a principal block of two kinds at once
      { Sid: "TwoKinds", Effect: "Allow", Principal: { AWS: "a", Service: "s" }, Action: "sts:AssumeRole" },
      // @ts-expect-error -- a principal kind the provider does not know
      { Sid: "Unknown", Effect: "Allow", Principal: { Federated: "f" }, Action: "sts:AssumeRole" },
      {
        Sid: "NumberCondition",
        Effect: "Deny",
        Action: "s3:*",
        // @ts-expect-error -- a condition value that is not a string or a list of strings
        Condition: { NumericLessThan: { "s3:TlsVersion": 1.2 } },
      },
    ];
    // @ts-expect-error -- the old policy language, which does not evaluate policy variables
    const old: iam.PolicyDocument = { Version: "2008-10-17", Statement: [] };
    assert.equal(bad.length + old.Statement.length, 5);
  });
});
