/**
 * IAM semantics by simulation: a matrix of principal × action × context with the expected decision,
 * evaluated offline with @cloud-copilot/iam-simulate over the very documents the components deploy.
 */
import assert from "node:assert/strict";
import * as P from "../../components/policies";
import { decide, type Decision, type Request } from "./simulate";

const ctx: P.AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const ACCT = ctx.accountId;
const KEY = `arn:aws:kms:us-east-1:${ACCT}:key/0000aaaa-1111-2222-3333-444444444444`;
const BUCKET = "arn:aws:s3:::ami-guard-dev-trail-0123abcd";
const LOG_GROUP = `arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/cloudtrail/ami-guard-dev`;
const sharing: P.SharingTargets = {
  accountIds: ["222222222222"],
  organizationArns: ["arn:aws:organizations::111111111111:organization/o-exampleorgid"],
  organizationalUnitArns: ["arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456"],
};
const docs: Record<P.RoleKind, P.PolicyDocument> = {
  builder: P.builderPolicy(ctx, KEY),
  publisher: P.publisherPolicy(ctx, sharing),
  deployer: P.deployerPolicy(ctx, KEY),
  auditor: P.auditorPolicy(ctx, { trailBucketArn: BUCKET, trailLogGroupArn: LOG_GROUP }),
};
const boundary = P.roleBoundary(ctx, sharing, Object.values(docs));
const keyPolicy = P.amiKeyPolicy(ctx, sharing);
const bucketPolicy = P.trailBucketPolicy(ctx, BUCKET);
const ADMIN = `arn:aws:iam::${ACCT}:role/administrator`;
const adminIdentity = (...actions: string[]): P.PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "Admin", Effect: "Allow", Action: actions, Resource: "*" }],
});

const IMAGE = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0";
const SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
const approvedOwn = {
  "ec2:Owner": ACCT,
  "ec2:ResourceTag/Approved": "true",
  "ec2:ResourceTag/Environment": "dev",
  "aws:ResourceTag/Approved": "true",
  "aws:ResourceTag/Environment": "dev",
};
const unapprovedOwn = {
  "ec2:Owner": ACCT,
  "ec2:ResourceTag/Environment": "dev",
  "aws:ResourceTag/Environment": "dev",
};
const viaEc2 = { "kms:ViaService": "ec2.us-east-1.amazonaws.com" };

/** A request by one of the four roles: its inline policy and the shared boundary. */
function asRole(
  kind: P.RoleKind,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Request {
  const principal = P.roleArn(ctx, kind);
  return {
    principal,
    action,
    resource,
    resourceAccount: ACCT,
    context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCT, ...context },
    identity: [docs[kind]],
    boundary,
    resourcePolicy: resource === KEY ? keyPolicy : resource.startsWith(BUCKET) ? bucketPolicy : undefined,
  };
}

interface Row {
  readonly what: string;
  readonly request: Request;
  readonly expect: Decision | "denied";
}

const rows: Row[] = [];
const row = (what: string, request: Request, expect: Row["expect"]) => rows.push({ what, request, expect });

// --- Launch permissions: only the publisher, only approved own images; never `all`, never off the allow-list.
row(
  "publisher shares an approved image of its account",
  asRole("publisher", "ec2:ModifyImageAttribute", IMAGE, approvedOwn),
  "Allowed",
);
row(
  "publisher shares an unapproved image",
  asRole("publisher", "ec2:ModifyImageAttribute", IMAGE, unapprovedOwn),
  "denied",
);
row(
  "publisher shares an image of another account",
  asRole("publisher", "ec2:ModifyImageAttribute", IMAGE, { ...approvedOwn, "ec2:Owner": "999999999999" }),
  "denied",
);
for (const kind of ["builder", "deployer", "auditor"] as const) {
  row(
    `${kind} changes a launch permission`,
    asRole(kind, "ec2:ModifyImageAttribute", IMAGE, approvedOwn),
    "denied",
  );
  row(
    `${kind} resets a launch permission`,
    asRole(kind, "ec2:ResetImageAttribute", IMAGE, approvedOwn),
    "denied",
  );
}
for (const kind of P.ROLE_KINDS) {
  row(
    `${kind} disables image block public access (the account-level block on sharing with all)`,
    asRole(kind, "ec2:DisableImageBlockPublicAccess", "*"),
    "ExplicitlyDenied",
  );
  row(
    `${kind} shares a snapshot with all`,
    asRole(kind, "ec2:ModifySnapshotAttribute", SNAPSHOT, { "ec2:Owner": ACCT, "ec2:Add/group": "all" }),
    "denied",
  );
  row(
    `${kind} shares a snapshot with a non-allow-listed account`,
    asRole(kind, "ec2:ModifySnapshotAttribute", SNAPSHOT, {
      "ec2:Owner": ACCT,
      "ec2:Add/userId": "999999999999",
    }),
    "denied",
  );
}
row(
  "publisher shares a snapshot with an allow-listed account",
  asRole("publisher", "ec2:ModifySnapshotAttribute", SNAPSHOT, {
    "ec2:Owner": ACCT,
    "ec2:Add/userId": "222222222222",
  }),
  "Allowed",
);
// --- Shared AMIs launch only where the key is allowed: the allow-list, through EC2.
const crossAccount = (account: string, extra: Record<string, string | string[]> = {}): Request => ({
  principal: `arn:aws:iam::${account}:role/launcher`,
  action: "kms:CreateGrant",
  resource: KEY,
  resourceAccount: ACCT,
  context: { ...viaEc2, "kms:CallerAccount": account, "kms:GrantIsForAWSResource": "true", ...extra },
  identity: [adminIdentity("kms:CreateGrant", "kms:Decrypt")],
  resourcePolicy: keyPolicy,
});
row("an allow-listed account uses the AMI key through EC2", crossAccount("222222222222"), "Allowed");
row("a non-allow-listed account uses the AMI key through EC2", crossAccount("999999999999"), "denied");
row(
  "an account of the allow-listed organization uses the key through EC2",
  crossAccount("444444444444", { "aws:PrincipalOrgID": "o-exampleorgid" }),
  "Allowed",
);
row(
  "an account of another organization uses the key through EC2",
  crossAccount("555555555555", { "aws:PrincipalOrgID": "o-otherorg0001" }),
  "denied",
);
row(
  "an account under the allow-listed OU uses the key through EC2",
  crossAccount("666666666666", { "aws:PrincipalOrgPaths": ["o-exampleorgid/r-ab12/ou-ab12-cdef3456/"] }),
  "Allowed",
);
row(
  "an allow-listed account decrypts directly, not through EC2",
  {
    ...crossAccount("222222222222"),
    action: "kms:Decrypt",
    context: { "kms:CallerAccount": "222222222222" },
  },
  "denied",
);

// --- The deployer: only tagged, approved images of this account; never makes or changes images.
row(
  "deployer launches an approved image",
  asRole("deployer", "ec2:RunInstances", IMAGE, approvedOwn),
  "Allowed",
);
row(
  "deployer launches an untagged image",
  asRole("deployer", "ec2:RunInstances", IMAGE, unapprovedOwn),
  "ExplicitlyDenied",
);
row(
  "deployer launches an image tagged Approved=false",
  asRole("deployer", "ec2:RunInstances", IMAGE, {
    ...approvedOwn,
    "ec2:ResourceTag/Approved": "false",
    "aws:ResourceTag/Approved": "false",
  }),
  "ExplicitlyDenied",
);
row(
  "deployer launches an approved-looking image of another owner",
  asRole("deployer", "ec2:RunInstances", IMAGE, { ...approvedOwn, "ec2:Owner": "amazon" }),
  "ExplicitlyDenied",
);
row(
  "deployer launches an instance with IMDSv2 required",
  asRole("deployer", "ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCT}:instance/*`, {
    "ec2:MetadataHttpTokens": "required",
  }),
  "Allowed",
);
row(
  "deployer launches an instance with IMDSv1 allowed",
  asRole("deployer", "ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCT}:instance/*`, {
    "ec2:MetadataHttpTokens": "optional",
  }),
  "denied",
);
row(
  "deployer launches an unencrypted volume",
  asRole("deployer", "ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCT}:volume/*`, {
    "ec2:Encrypted": "false",
  }),
  "denied",
);
for (const action of [
  "ec2:CreateImage",
  "ec2:CopyImage",
  "ec2:RegisterImage",
  "ec2:DeregisterImage",
  "ec2:ModifyImageAttribute",
  "ec2:DisableImageDeregistrationProtection",
  "ec2:CreateTags",
]) {
  row(`deployer ${action} on an image`, asRole("deployer", action, IMAGE, approvedOwn), "ExplicitlyDenied");
}

// --- The builder: creates tagged images, tags only on create, never deregisters.
row(
  "builder creates an image tagged with its environment",
  asRole("builder", "ec2:CreateImage", IMAGE, {
    "aws:RequestTag/Environment": "dev",
    "aws:TagKeys": ["Environment"],
  }),
  "Allowed",
);
row("builder creates an untagged image", asRole("builder", "ec2:CreateImage", IMAGE), "denied");
row(
  "builder tags an image as it creates it",
  asRole("builder", "ec2:CreateTags", IMAGE, {
    "ec2:CreateAction": "CreateImage",
    "aws:RequestTag/Approved": "true",
  }),
  "Allowed",
);
row(
  "builder retags an existing image (self-approval)",
  asRole("builder", "ec2:CreateTags", IMAGE, { "aws:RequestTag/Approved": "true" }),
  "ExplicitlyDenied",
);
row(
  "builder deregisters an image",
  asRole("builder", "ec2:DeregisterImage", IMAGE, approvedOwn),
  "ExplicitlyDenied",
);
row(
  "publisher retags an image (self-approval)",
  asRole("publisher", "ec2:CreateTags", IMAGE, { "aws:RequestTag/Approved": "true" }),
  "ExplicitlyDenied",
);

// --- The AMI key is usable only through EC2/EBS.
row(
  "builder decrypts with the AMI key through EC2",
  asRole("builder", "kms:Decrypt", KEY, { ...viaEc2, "kms:CallerAccount": ACCT }),
  "Allowed",
);
row(
  "deployer creates a grant for an EBS volume",
  asRole("deployer", "kms:CreateGrant", KEY, {
    ...viaEc2,
    "kms:CallerAccount": ACCT,
    "kms:GrantIsForAWSResource": "true",
  }),
  "Allowed",
);
row(
  "builder decrypts directly",
  asRole("builder", "kms:Decrypt", KEY, { "kms:CallerAccount": ACCT }),
  "ExplicitlyDenied",
);
row(
  "builder decrypts through S3",
  asRole("builder", "kms:Decrypt", KEY, {
    "kms:ViaService": "s3.us-east-1.amazonaws.com",
    "kms:CallerAccount": ACCT,
  }),
  "ExplicitlyDenied",
);
row(
  "publisher decrypts through EC2",
  asRole("publisher", "kms:Decrypt", KEY, { ...viaEc2, "kms:CallerAccount": ACCT }),
  "denied",
);
const adminKey = (action: string, context: Record<string, string> = {}): Request => ({
  principal: ADMIN,
  action,
  resource: KEY,
  resourceAccount: ACCT,
  context: { "aws:PrincipalArn": ADMIN, "kms:CallerAccount": ACCT, ...context },
  identity: [adminIdentity("kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:ScheduleKeyDeletion")],
  resourcePolicy: keyPolicy,
});
row(
  "an account administrator decrypts with the AMI key directly",
  adminKey("kms:Decrypt"),
  "ExplicitlyDenied",
);
row(
  "an account administrator decrypts through EC2 (not a build or launch role)",
  adminKey("kms:Decrypt", viaEc2),
  "denied",
);
row("an account administrator encrypts directly", adminKey("kms:Encrypt"), "ExplicitlyDenied");
row("an account administrator describes the key", adminKey("kms:DescribeKey"), "Allowed");
for (const kind of P.ROLE_KINDS) {
  row(
    `${kind} schedules the AMI key for deletion`,
    asRole(kind, "kms:ScheduleKeyDeletion", KEY),
    "ExplicitlyDenied",
  );
}

// --- Nobody but the trail service writes the trail bucket; TLS only.
const OBJECT = `${BUCKET}/AWSLogs/${ACCT}/CloudTrail/us-east-1/2025/01/01/file.json.gz`;
const trailWrite = (sourceArn: string): Request => ({
  principal: "cloudtrail.amazonaws.com",
  action: "s3:PutObject",
  resource: OBJECT,
  resourceAccount: ACCT,
  context: {
    "aws:SourceArn": sourceArn,
    "aws:SourceAccount": ACCT,
    "aws:PrincipalServiceName": "cloudtrail.amazonaws.com",
    "s3:x-amz-acl": "bucket-owner-full-control",
    "aws:SecureTransport": "true",
  },
  resourcePolicy: bucketPolicy,
});
row("this trail writes its log file", trailWrite(P.trailArn(ctx)), "Allowed");
row(
  "another trail writes into the bucket",
  trailWrite(`arn:aws:cloudtrail:us-east-1:${ACCT}:trail/other`),
  "denied",
);
const adminS3 = (action: string, secure = "true"): Request => ({
  principal: ADMIN,
  action,
  resource: OBJECT,
  resourceAccount: ACCT,
  context: { "aws:PrincipalArn": ADMIN, "aws:SecureTransport": secure },
  identity: [adminIdentity("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject")],
  resourcePolicy: bucketPolicy,
});
row("an account administrator overwrites a log file", adminS3("s3:PutObject"), "ExplicitlyDenied");
row("an account administrator deletes a log file", adminS3("s3:DeleteObject"), "ExplicitlyDenied");
row(
  "an account administrator deletes a log file version",
  adminS3("s3:DeleteObjectVersion"),
  "ExplicitlyDenied",
);
for (const kind of P.ROLE_KINDS) {
  row(
    `${kind} writes a log file`,
    asRole(kind, "s3:PutObject", OBJECT, { "aws:SecureTransport": "true" }),
    "denied",
  );
}
row(
  "auditor reads a log file over TLS",
  asRole("auditor", "s3:GetObject", OBJECT, { "aws:SecureTransport": "true" }),
  "Allowed",
);
row(
  "auditor reads a log file without TLS",
  asRole("auditor", "s3:GetObject", OBJECT, { "aws:SecureTransport": "false" }),
  "ExplicitlyDenied",
);

// --- Nobody stops the trail: the roles by their boundary, administrators by the SCP.
const TRAIL = P.trailArn(ctx);
for (const action of [
  "cloudtrail:StopLogging",
  "cloudtrail:DeleteTrail",
  "cloudtrail:UpdateTrail",
  "cloudtrail:PutEventSelectors",
]) {
  for (const kind of P.ROLE_KINDS) row(`${kind} ${action}`, asRole(kind, action, TRAIL), "ExplicitlyDenied");
}
for (const action of ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]) {
  row(
    `an account administrator ${action} under the organisation SCP`,
    {
      principal: ADMIN,
      action,
      resource: TRAIL,
      resourceAccount: ACCT,
      identity: [adminIdentity("cloudtrail:StopLogging", "cloudtrail:DeleteTrail")],
      scps: [P.guardrailScp("aws")],
    },
    "ExplicitlyDenied",
  );
}
row(
  "an account administrator disables image block public access under the SCP",
  {
    principal: ADMIN,
    action: "ec2:DisableImageBlockPublicAccess",
    resource: "*",
    resourceAccount: ACCT,
    identity: [adminIdentity("ec2:DisableImageBlockPublicAccess")],
    scps: [P.guardrailScp("aws")],
  },
  "ExplicitlyDenied",
);

// --- The auditor reads, never writes.
row("auditor describes images", asRole("auditor", "ec2:DescribeImages", "*"), "Allowed");
row(
  "auditor reads the Allowed AMIs settings",
  asRole("auditor", "ec2:GetAllowedImagesSettings", "*"),
  "Allowed",
);
for (const action of ["ec2:CreateImage", "ec2:RunInstances", "ec2:DeregisterImage"]) {
  row(`auditor ${action}`, asRole("auditor", action, IMAGE, approvedOwn), "denied");
}

describe("IAM semantics by simulation (principal × action × context)", function () {
  this.timeout(120_000);
  for (const r of rows) {
    it(`${r.what}: ${r.expect}`, async function () {
      const got = await decide(r.request);
      if (r.expect === "denied") assert.notEqual(got, "Allowed", `${r.what} was allowed`);
      else assert.equal(got, r.expect);
    });
  }

  it("the matrix covers every role and at least one allow and one deny each", function () {
    for (const kind of P.ROLE_KINDS) {
      const mine = rows.filter((r) => r.request.principal === P.roleArn(ctx, kind));
      assert.ok(
        mine.some((r) => r.expect === "Allowed"),
        `${kind} has no allowed row`,
      );
      assert.ok(
        mine.some((r) => r.expect !== "Allowed"),
        `${kind} has no denied row`,
      );
    }
  });
});
