/**
 * IAM semantics by simulation: a matrix of principal × action × context with the expected decision,
 * evaluated offline with @cloud-copilot/iam-simulate over the very documents the components deploy.
 */
import assert from "node:assert/strict";
import * as P from "../../components/iam";
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
    "aws:RequestTag/Version": "1.2.3",
    "aws:TagKeys": ["Version"],
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
  "publisher tags an image without naming the tag keys",
  asRole("publisher", "ec2:CreateTags", IMAGE, { ...unapprovedOwn, "aws:RequestTag/Approved": "true" }),
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

// ===== Issue 13: least privilege against a determined insider =====
const REGION2 = "eu-west-3";
const FOREIGN = "999999999999";
const BREAK_GLASS = `arn:aws:iam::${ACCT}:role/${P.BREAK_GLASS_ROLE_NAME}`;
const scp = P.guardrailScp("aws");
/** An account administrator (or the break-glass role) with an identity policy allowing `action`, under the SCP. */
const underScp = (
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  principal = ADMIN,
): Request => ({
  principal,
  action,
  resource,
  resourceAccount: ACCT,
  context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCT, ...context },
  identity: [adminIdentity(action)],
  scps: [scp],
});
const tagged = (keys: string[], values: Record<string, string> = {}): Record<string, string | string[]> => ({
  "aws:TagKeys": keys,
  ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, values[k] ?? "true"])),
});
const INSTANCE = `arn:aws:ec2:us-east-1:${ACCT}:instance/i-0123456789abcdef0`;
const VOLUME = `arn:aws:ec2:us-east-1:${ACCT}:volume/vol-0123456789abcdef0`;
const SOURCE_IMAGE = "arn:aws:ec2:us-east-1::image/ami-0fedcba9876543210";
const NEW_IMAGE = "arn:aws:ec2:us-east-1::image/*";
const createTags = { "aws:RequestTag/Environment": "dev" };
/**
 * A public AMI parameter. Its real ARN has no account (`arn:aws:ssm:eu-west-3::parameter/aws/service/…`), which
 * iam-simulate cannot parse; the documents name it with a `*` account, and a static test below checks that the
 * real, account-less ARN matches.
 */
const PUBLIC_PARAMETER = `arn:aws:ssm:${REGION2}:${ACCT}:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`;

// --- Approval is a separate step: the builder never writes `Approved`, at creation or later.
for (const action of ["ec2:CreateImage", "ec2:CopyImage", "ec2:RegisterImage"]) {
  row(
    `builder ${action} with Approved=true at creation (self-approval)`,
    asRole("builder", action, NEW_IMAGE, {
      ...createTags,
      ...tagged(["Environment", "Approved"], { Environment: "dev" }),
    }),
    "ExplicitlyDenied",
  );
}
row(
  "builder tags Approved=true through CreateTags at creation",
  asRole("builder", "ec2:CreateTags", IMAGE, { "ec2:CreateAction": "CreateImage", ...tagged(["Approved"]) }),
  "ExplicitlyDenied",
);
row(
  "builder tags Approved only by request tag (no aws:TagKeys in the context)",
  asRole("builder", "ec2:CreateTags", IMAGE, {
    "ec2:CreateAction": "CreateImage",
    "aws:RequestTag/Approved": "true",
  }),
  "ExplicitlyDenied",
);
row(
  "builder tags the key in another case (approved) at creation",
  asRole("builder", "ec2:CreateTags", IMAGE, {
    "ec2:CreateAction": "CreateImage",
    "aws:TagKeys": ["approved"],
  }),
  "ExplicitlyDenied",
);
row(
  "builder removes Approved from an image",
  asRole("builder", "ec2:DeleteTags", IMAGE, { ...approvedOwn, "aws:TagKeys": ["Approved"] }),
  "ExplicitlyDenied",
);
row(
  "builder creates an image tagged Environment and Version",
  asRole("builder", "ec2:CreateImage", NEW_IMAGE, {
    ...tagged(["Environment", "Version"], { Environment: "dev", Version: "1.2.3" }),
  }),
  "Allowed",
);
const approve = (extra: Record<string, string | string[]> = {}) => ({
  ...unapprovedOwn,
  ...tagged(["Approved"]),
  ...extra,
});
row(
  "publisher approves an image of its account and environment",
  asRole("publisher", "ec2:CreateTags", IMAGE, approve()),
  "Allowed",
);
row(
  "publisher revokes an approval",
  asRole("publisher", "ec2:DeleteTags", IMAGE, { ...approvedOwn, "aws:TagKeys": ["Approved"] }),
  "Allowed",
);
row(
  "publisher approves an image of another environment",
  asRole(
    "publisher",
    "ec2:CreateTags",
    IMAGE,
    approve({ "ec2:ResourceTag/Environment": "prod", "aws:ResourceTag/Environment": "prod" }),
  ),
  "denied",
);
row(
  "publisher approves an image of another owner",
  asRole("publisher", "ec2:CreateTags", IMAGE, approve({ "ec2:Owner": FOREIGN })),
  "denied",
);
row(
  "publisher approves with a value other than true/false",
  asRole("publisher", "ec2:CreateTags", IMAGE, approve({ "aws:RequestTag/Approved": "yes" })),
  "ExplicitlyDenied",
);
row(
  "publisher retags Environment along with Approved",
  asRole("publisher", "ec2:CreateTags", IMAGE, {
    ...approve(),
    ...tagged(["Approved", "Environment"], { Environment: "dev" }),
  }),
  "ExplicitlyDenied",
);
for (const kind of ["deployer", "auditor"] as const) {
  row(`${kind} approves an image`, asRole(kind, "ec2:CreateTags", IMAGE, approve()), "ExplicitlyDenied");
}
row(
  "an account administrator approves an image under the SCP",
  underScp("ec2:CreateTags", IMAGE, approve()),
  "ExplicitlyDenied",
);
row(
  "the publisher role approves an image under the SCP",
  { ...asRole("publisher", "ec2:CreateTags", IMAGE, approve()), scps: [scp] },
  "Allowed",
);

// --- No laundering: sources are own or Amazon images, own snapshots, Image Builder's build instances.
row(
  "builder copies a community image (source owned by a stranger)",
  asRole("builder", "ec2:CopyImage", SOURCE_IMAGE, { ...createTags, "ec2:Owner": FOREIGN }),
  "ExplicitlyDenied",
);
row(
  "builder copies an aws-marketplace image",
  asRole("builder", "ec2:CopyImage", SOURCE_IMAGE, { ...createTags, "ec2:Owner": "aws-marketplace" }),
  "ExplicitlyDenied",
);
row(
  "builder copies its own account's image",
  asRole("builder", "ec2:CopyImage", SOURCE_IMAGE, { ...createTags, "ec2:Owner": ACCT }),
  "Allowed",
);
row(
  "builder copies an Amazon image",
  asRole("builder", "ec2:CopyImage", SOURCE_IMAGE, { ...createTags, "ec2:Owner": "amazon" }),
  "Allowed",
);
row(
  "builder creates the copy (target image, tagged with its environment)",
  asRole("builder", "ec2:CopyImage", NEW_IMAGE, tagged(["Environment"], { Environment: "dev" })),
  "Allowed",
);
row(
  "builder registers an image from a stranger's (public) snapshot",
  asRole("builder", "ec2:RegisterImage", SNAPSHOT, { ...createTags, "ec2:Owner": FOREIGN }),
  "ExplicitlyDenied",
);
row(
  "builder registers an image from its account's snapshot",
  asRole("builder", "ec2:RegisterImage", SNAPSHOT, { ...createTags, "ec2:Owner": ACCT }),
  "Allowed",
);
row(
  "builder images a fleet instance (Environment tag, not launched by Image Builder)",
  asRole("builder", "ec2:CreateImage", INSTANCE, {
    "aws:ResourceTag/Environment": "dev",
    "ec2:ResourceTag/Environment": "dev",
  }),
  "denied",
);
row(
  "builder images an Image Builder build instance of its environment",
  asRole("builder", "ec2:CreateImage", INSTANCE, {
    "aws:ResourceTag/AmiGuardBuild": "dev",
    "ec2:ResourceTag/AmiGuardBuild": "dev",
  }),
  "Allowed",
);
row(
  "builder images a build instance of another environment",
  asRole("builder", "ec2:CreateImage", INSTANCE, {
    "aws:ResourceTag/AmiGuardBuild": "prod",
    "ec2:ResourceTag/AmiGuardBuild": "prod",
  }),
  "denied",
);
row(
  "builder snapshots a fleet volume",
  asRole("builder", "ec2:CreateSnapshot", VOLUME, { "aws:ResourceTag/Environment": "dev" }),
  "denied",
);
for (const kind of P.ROLE_KINDS) {
  row(
    `${kind} tags an instance AmiGuardBuild (forging a build instance)`,
    asRole(kind, "ec2:CreateTags", INSTANCE, tagged(["AmiGuardBuild"], { AmiGuardBuild: "dev" })),
    "ExplicitlyDenied",
  );
}
row(
  "deployer launches an instance tagged AmiGuardBuild",
  asRole("deployer", "ec2:CreateTags", `arn:aws:ec2:us-east-1:${ACCT}:instance/*`, {
    "ec2:CreateAction": "RunInstances",
    ...tagged(["AmiGuardBuild"], { AmiGuardBuild: "dev" }),
  }),
  "ExplicitlyDenied",
);
row(
  "deployer tags its instances at launch (ordinary tags)",
  asRole("deployer", "ec2:CreateTags", `arn:aws:ec2:us-east-1:${ACCT}:instance/*`, {
    "ec2:CreateAction": "RunInstances",
    ...tagged(["Name"], { Name: "web" }),
  }),
  "Allowed",
);
row(
  "an account administrator tags an instance AmiGuardBuild under the SCP",
  underScp("ec2:CreateTags", INSTANCE, tagged(["AmiGuardBuild"], { AmiGuardBuild: "dev" })),
  "ExplicitlyDenied",
);
row(
  "an account administrator tags an image Ec2ImageBuilderArn under the SCP",
  underScp(
    "ec2:CreateTags",
    IMAGE,
    tagged(["Ec2ImageBuilderArn"], {
      Ec2ImageBuilderArn: "arn:aws:imagebuilder:us-east-1:111111111111:image/x/1.0.0/1",
    }),
  ),
  "ExplicitlyDenied",
);
row(
  "the break-glass role tags an instance under the SCP",
  underScp("ec2:CreateTags", INSTANCE, tagged(["AmiGuardBuild"], { AmiGuardBuild: "dev" }), BREAK_GLASS),
  "Allowed",
);

// --- The deployer through Auto Scaling: pinned versions only, never writes launch templates.
const LT = `arn:aws:ec2:us-east-1:${ACCT}:launch-template/lt-0123456789abcdef0`;
const ASG = `arn:aws:autoscaling:us-east-1:${ACCT}:autoScalingGroup:1a2b3c4d-1111-2222-3333-444455556666:autoScalingGroupName/ami-guard-dev-fleet`;
const envTagged = { "aws:ResourceTag/Environment": "dev", "ec2:ResourceTag/Environment": "dev" };
for (const action of ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"]) {
  row(
    `deployer ${action} on its environment's template`,
    asRole("deployer", action, LT, envTagged),
    "ExplicitlyDenied",
  );
}
row(
  "deployer updates a group to an unpinned launch template version ($Latest/$Default)",
  asRole("deployer", "autoscaling:UpdateAutoScalingGroup", ASG, {
    "aws:ResourceTag/Environment": "dev",
    "autoscaling:LaunchTemplateVersionSpecified": "false",
  }),
  "ExplicitlyDenied",
);
row(
  "deployer updates a group to a launch configuration",
  asRole("deployer", "autoscaling:UpdateAutoScalingGroup", ASG, {
    "aws:ResourceTag/Environment": "dev",
    "autoscaling:LaunchConfigurationName": "old-config",
  }),
  "ExplicitlyDenied",
);
row(
  "deployer updates a group to a pinned launch template version",
  asRole("deployer", "autoscaling:UpdateAutoScalingGroup", ASG, {
    "aws:ResourceTag/Environment": "dev",
    "autoscaling:LaunchTemplateVersionSpecified": "true",
  }),
  "Allowed",
);
const viaTemplate = { "ec2:IsLaunchTemplateResource": "true", "ec2:LaunchTemplate": LT };
row(
  "pinning a version whose image is unapproved (Auto Scaling checks the deployer's RunInstances on it)",
  asRole("deployer", "ec2:RunInstances", IMAGE, { ...unapprovedOwn, ...viaTemplate }),
  "ExplicitlyDenied",
);
row(
  "pinning a version whose image is a stranger's",
  asRole("deployer", "ec2:RunInstances", IMAGE, { ...approvedOwn, "ec2:Owner": FOREIGN, ...viaTemplate }),
  "ExplicitlyDenied",
);
row(
  "pinning a version whose image is approved and own",
  asRole("deployer", "ec2:RunInstances", IMAGE, { ...approvedOwn, ...viaTemplate }),
  "Allowed",
);
// The policy pack's own reads, for the deployer's `pulumi preview`/`up` with the pack.
row("deployer (pack) describes images", asRole("deployer", "ec2:DescribeImages", "*"), "Allowed");
row(
  "deployer (pack) reads an image's launch permissions in another region",
  asRole("deployer", "ec2:DescribeImageAttribute", `arn:aws:ec2:${REGION2}::image/ami-0123456789abcdef0`),
  "Allowed",
);
row(
  "deployer (pack) reads launch template versions",
  asRole("deployer", "ec2:DescribeLaunchTemplateVersions", "*"),
  "Allowed",
);
for (const action of ["ssm:GetParameter", "ssm:GetParameters"]) {
  row(
    `deployer (pack) ${action} on a public AMI parameter`,
    asRole("deployer", action, PUBLIC_PARAMETER),
    "Allowed",
  );
  row(
    `deployer (pack) ${action} on an AMI Guard parameter`,
    asRole("deployer", action, `arn:aws:ssm:us-east-1:${ACCT}:parameter/ami-guard/dev/golden`),
    "Allowed",
  );
  row(
    `deployer ${action} on any other parameter`,
    asRole("deployer", action, `arn:aws:ssm:us-east-1:${ACCT}:parameter/app/db-password`),
    "denied",
  );
}

// --- Guardrails that cannot be quietly weakened: the SCP (administrators) and the boundary (the roles).
const LOG_GROUP_ARN = `arn:aws:logs:us-east-1:${ACCT}:log-group:${P.trailLogGroupName("dev")}`;
const ALARM = `arn:aws:cloudwatch:us-east-1:${ACCT}:alarm:ami-guard-dev-launch-permission-public`;
const RBIN_RULE = `arn:aws:rbin:us-east-1:${ACCT}:rule/abcdEFGH123`;
const ALIAS = `arn:aws:kms:us-east-1:${ACCT}:alias/ami-guard-dev-ami`;
const keyAliases = { "kms:ResourceAliases": ["alias/ami-guard-dev-ami"] };
const tamper: [string, string, Record<string, string | string[]>][] = [
  ...P.ACCOUNT_GUARDRAIL_ACTIONS.map((a): [string, string, Record<string, string>] => [a, "*", {}]),
  ...P.TRAIL_TAMPER_ACTIONS.map((a): [string, string, Record<string, string>] => [a, TRAIL, {}]),
  ...["logs:DeleteMetricFilter", "logs:PutMetricFilter"].map(
    (a): [string, string, Record<string, string>] => [a, LOG_GROUP_ARN, {}],
  ),
  ...["cloudwatch:DisableAlarmActions", "cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"].map(
    (a): [string, string, Record<string, string>] => [a, ALARM, {}],
  ),
  ...P.KEY_TAMPER_ACTIONS.map((a): [string, string, Record<string, string | string[]>] => [
    a,
    KEY,
    keyAliases,
  ]),
  ["kms:DeleteAlias", ALIAS, {}],
  ["ec2:DisableImageDeregistrationProtection", IMAGE, approvedOwn],
  ["rbin:DeleteRule", RBIN_RULE, {}],
  ["rbin:UpdateRule", RBIN_RULE, {}],
];
for (const [action, resource, context] of tamper) {
  row(
    `an account administrator ${action} under the SCP`,
    underScp(action, resource, context),
    "ExplicitlyDenied",
  );
  for (const kind of P.ROLE_KINDS) {
    row(
      `${kind} ${action}`,
      { ...asRole(kind, action, resource, context), resourcePolicy: undefined },
      "ExplicitlyDenied",
    );
  }
}
row(
  "the break-glass role changes Allowed AMIs under the SCP",
  underScp("ec2:EnableAllowedImagesSettings", "*", {}, BREAK_GLASS),
  "Allowed",
);
row(
  "the break-glass role puts event selectors on the guard trail under the SCP",
  underScp("cloudtrail:PutEventSelectors", TRAIL, {}, BREAK_GLASS),
  "Allowed",
);
row(
  "the break-glass role still cannot share a snapshot with all",
  underScp("ec2:ModifySnapshotAttribute", SNAPSHOT, { "ec2:Add/group": "all" }, BREAK_GLASS),
  "ExplicitlyDenied",
);
row(
  "an account administrator deletes another team's alarm under the SCP",
  underScp("cloudwatch:DeleteAlarms", `arn:aws:cloudwatch:us-east-1:${ACCT}:alarm:team-cpu-high`),
  "Allowed",
);

// --- The AMI key: grants only to AWS resources through EC2 (or Auto Scaling's service-linked role).
const STRANGER = `arn:aws:iam::${FOREIGN}:root`;
const grant = (principal: string, context: Record<string, string | string[]>, identity = true): Request => ({
  principal,
  action: "kms:CreateGrant",
  resource: KEY,
  resourceAccount: ACCT,
  context: {
    "aws:PrincipalArn": principal,
    "aws:PrincipalAccount": ACCT,
    "kms:CallerAccount": ACCT,
    ...context,
  },
  identity: identity ? [adminIdentity("kms:CreateGrant")] : [],
  resourcePolicy: keyPolicy,
});
row(
  "an account administrator grants the AMI key to a stranger directly",
  grant(ADMIN, { "kms:GranteePrincipal": STRANGER }),
  "ExplicitlyDenied",
);
row(
  "an account administrator grants the key directly (GrantIsForAWSResource false)",
  grant(ADMIN, { "kms:GranteePrincipal": STRANGER, "kms:GrantIsForAWSResource": "false", ...viaEc2 }),
  "ExplicitlyDenied",
);
row(
  "an account principal's EC2 volume gets a grant (GrantIsForAWSResource, through EC2)",
  grant(ADMIN, { "kms:GranteePrincipal": ADMIN, "kms:GrantIsForAWSResource": "true", ...viaEc2 }),
  "Allowed",
);
row(
  "an AWS-resource grant that does not come through EC2",
  grant(ADMIN, {
    "kms:GranteePrincipal": ADMIN,
    "kms:GrantIsForAWSResource": "true",
    "kms:ViaService": "rds.us-east-1.amazonaws.com",
  }),
  "denied",
);
row(
  "the deploying principal grants the key to Auto Scaling's service-linked role (kms.Grant)",
  grant(ADMIN, { "kms:GranteePrincipal": P.serviceLinkedRoleArn(ctx, "autoscaling") }),
  "Allowed",
);
row(
  "builder grants the AMI key to a stranger directly",
  {
    ...asRole("builder", "kms:CreateGrant", KEY, {
      "kms:CallerAccount": ACCT,
      "kms:GranteePrincipal": STRANGER,
    }),
  },
  "denied",
);

// --- Service principals act only for this account (confused deputy).
const assume = (trust: P.PolicyDocument, service: string, context: Record<string, string>): Request => ({
  principal: service,
  action: "sts:AssumeRole",
  resource: P.roleArn(ctx, "builder"),
  resourceAccount: ACCT,
  context,
  resourcePolicy: trust,
});
const builderTrust = P.trustPolicy(
  ["arn:aws:iam::111111111111:role/ci-builder"],
  ["ec2.amazonaws.com"],
  ACCT,
);
row(
  "EC2 assumes the builder role for this account",
  assume(builderTrust, "ec2.amazonaws.com", { "aws:SourceAccount": ACCT }),
  "Allowed",
);
row(
  "EC2 assumes the builder role on behalf of another account",
  assume(builderTrust, "ec2.amazonaws.com", { "aws:SourceAccount": FOREIGN }),
  "denied",
);
const lifecycleTrust = P.imageBuilderLifecycleTrustPolicy(ctx);
const LIFECYCLE = `arn:aws:imagebuilder:us-east-1:${ACCT}:lifecycle-policy/ami-guard-dev-deprecate`;
row(
  "Image Builder assumes the lifecycle role for this account's lifecycle policy",
  assume(lifecycleTrust, "imagebuilder.amazonaws.com", {
    "aws:SourceAccount": ACCT,
    "aws:SourceArn": LIFECYCLE,
  }),
  "Allowed",
);
row(
  "Image Builder assumes the lifecycle role for another account's lifecycle policy",
  assume(lifecycleTrust, "imagebuilder.amazonaws.com", {
    "aws:SourceAccount": FOREIGN,
    "aws:SourceArn": `arn:aws:imagebuilder:us-east-1:${FOREIGN}:lifecycle-policy/x`,
  }),
  "denied",
);

// --- The auditor can run the audit as documented, in every region it audits.
const auditRows: [string, string][] = [
  ["ec2:DescribeRegions", "*"],
  ["ec2:DescribeImages", "*"],
  ["ec2:DescribeInstances", "*"],
  ["ec2:DescribeLaunchTemplateVersions", "*"],
  ["ec2:GetEbsEncryptionByDefault", "*"],
  ["ec2:GetEbsDefaultKmsKeyId", "*"],
  ["ec2:GetImageBlockPublicAccessState", "*"],
  ["ec2:GetSnapshotBlockPublicAccessState", "*"],
  ["ec2:GetAllowedImagesSettings", "*"],
  ["inspector2:BatchGetAccountStatus", "*"],
  ["cloudtrail:DescribeTrails", "*"],
  ["ec2:DescribeImageAttribute", `arn:aws:ec2:${REGION2}::image/ami-0123456789abcdef0`],
  ["ssm:GetParameters", PUBLIC_PARAMETER],
  ["cloudtrail:GetTrailStatus", `arn:aws:cloudtrail:${REGION2}:${ACCT}:trail/org-trail`],
  ["cloudtrail:GetEventSelectors", `arn:aws:cloudtrail:${REGION2}:${ACCT}:trail/org-trail`],
  ["cloudtrail:GetEventSelectors", `arn:aws:cloudtrail:us-east-1:222233334444:trail/organization-trail`],
];
for (const [action, resource] of auditRows) {
  row(`auditor (audit) ${action} on ${resource}`, asRole("auditor", action, resource), "Allowed");
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
