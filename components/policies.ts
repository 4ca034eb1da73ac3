/**
 * Every IAM document AMI Guard deploys, as typed objects built by pure functions, so that tests evaluate them
 * offline (tests/iam simulates them with @cloud-copilot/iam-simulate) and the components serialise exactly
 * what was tested. No statement allows a wildcard action, and no statement allows anything on `*` other than
 * actions that support no resource-level permissions (Describe/Get/List and the build host's agent calls).
 */

export type PrincipalBlock = "*" | { AWS?: string | string[]; Service?: string | string[] };
export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: PrincipalBlock;
  Action: string | string[];
  /** Omitted only in trust policies. */
  Resource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Where the documents apply. */
export interface AccountContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly environment: string;
}

/** The allow-listed sharing targets (accounts, organization ARNs, OU ARNs). */
export interface SharingTargets {
  readonly accountIds: readonly string[];
  readonly organizationArns: readonly string[];
  readonly organizationalUnitArns: readonly string[];
}

export type RoleKind = "builder" | "publisher" | "deployer" | "auditor";
export const ROLE_KINDS: readonly RoleKind[] = ["builder", "publisher", "deployer", "auditor"];

/** IAM path of every AMI Guard role. */
export const ROLE_PATH = "/ami-guard/";
/** Tag every resource and AMI made by this stack carries, naming the project. */
export const MANAGED_BY = "ami-guard";

const doc = (statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

export function roleName(environment: string, kind: RoleKind): string {
  return `ami-guard-${environment}-${kind}`;
}

/** The role's ARN, known before it exists (roles have fixed names), so key policies can name it. */
export function roleArn(ctx: AccountContext, kind: RoleKind): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role${ROLE_PATH}${roleName(ctx.environment, kind)}`;
}

export function serviceLinkedRoleArn(ctx: AccountContext, service: "imagebuilder" | "autoscaling"): string {
  const name = service === "imagebuilder" ? "AWSServiceRoleForImageBuilder" : "AWSServiceRoleForAutoScaling";
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role/aws-service-role/${service}.amazonaws.com/${name}`;
}

export function trailName(environment: string): string {
  return `ami-guard-${environment}`;
}

export function trailArn(ctx: AccountContext): string {
  return `arn:${ctx.partition}:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${trailName(ctx.environment)}`;
}

export function trailLogGroupName(environment: string): string {
  return `/aws/cloudtrail/ami-guard-${environment}`;
}

const ec2Service = (ctx: AccountContext) => `ec2.${ctx.region}.amazonaws.com`;
const imageArns = (ctx: AccountContext) => `arn:${ctx.partition}:ec2:${ctx.region}::image/*`;
const snapshotArns = (ctx: AccountContext) => `arn:${ctx.partition}:ec2:${ctx.region}::snapshot/*`;
const acctArn = (ctx: AccountContext, type: string) =>
  `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:${type}/*`;
const accountRoot = (ctx: AccountContext) => `arn:${ctx.partition}:iam::${ctx.accountId}:root`;

/** Actions that make or change images; only the builder may make them, nobody but the publisher may share. */
export const IMAGE_CREATE_ACTIONS = [
  "ec2:CreateImage",
  "ec2:CopyImage",
  "ec2:RegisterImage",
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
];
export const IMAGE_CHANGE_ACTIONS = [
  "ec2:ModifyImageAttribute",
  "ec2:ResetImageAttribute",
  "ec2:DeregisterImage",
  "ec2:EnableImageDeprecation",
  "ec2:DisableImageDeprecation",
  "ec2:DisableImageDeregistrationProtection",
  "ec2:ModifySnapshotAttribute",
  "ec2:ResetSnapshotAttribute",
  "ec2:DeleteSnapshot",
];

/** Turning off any account guardrail or the audit trail: denied to every AMI Guard role (boundary and SCP). */
export const GUARDRAIL_TAMPER_ACTIONS = [
  "ec2:DisableImageBlockPublicAccess",
  "ec2:DisableSnapshotBlockPublicAccess",
  "ec2:DisableEbsEncryptionByDefault",
  "ec2:ModifyEbsDefaultKmsKeyId",
  "ec2:ResetEbsDefaultKmsKeyId",
  "ec2:DisableAllowedImagesSettings",
  "ec2:ReplaceImageCriteriaInAllowedImagesSettings",
  "ec2:DisableImageDeregistrationProtection",
  "cloudtrail:StopLogging",
  "cloudtrail:DeleteTrail",
  "cloudtrail:UpdateTrail",
  "cloudtrail:PutEventSelectors",
  "kms:DisableKey",
  "kms:ScheduleKeyDeletion",
  "kms:PutKeyPolicy",
  "rbin:DeleteRule",
  "rbin:UpdateRule",
  "rbin:UnlockRule",
];

/** The symmetric-key operations EC2/EBS perform on behalf of a caller. */
export const KMS_CRYPTO_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
];

/** Key administration (no cryptographic use) for the account's own IAM principals. */
export const KMS_ADMIN_ACTIONS = [
  "kms:CreateAlias",
  "kms:CreateGrant",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

const useKeyViaEc2 = (ctx: AccountContext, keyArn: string): PolicyStatement[] => [
  {
    Sid: "UseAmiKeyThroughEc2",
    Effect: "Allow",
    Action: [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": ec2Service(ctx), "kms:CallerAccount": ctx.accountId } },
  },
  {
    Sid: "GrantAmiKeyToEc2Resources",
    Effect: "Allow",
    Action: "kms:CreateGrant",
    Resource: keyArn,
    Condition: {
      StringEquals: { "kms:ViaService": ec2Service(ctx), "kms:CallerAccount": ctx.accountId },
      Bool: { "kms:GrantIsForAWSResource": "true" },
    },
  },
];

/** Build host: what an EC2 Image Builder instance needs (SSM agent, components, build logs). */
const BUILD_HOST_AGENT_ACTIONS = [
  "ssm:DescribeAssociation",
  "ssm:GetDeployablePatchSnapshotForInstance",
  "ssm:GetManifest",
  "ssm:ListAssociations",
  "ssm:ListInstanceAssociations",
  "ssm:PutInventory",
  "ssm:PutComplianceItems",
  "ssm:PutConfigurePackageResult",
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
];

/**
 * Builder: runs Image Builder builds (it is the build instance's role) and may create images and snapshots,
 * tagged on create with its environment, and use the AMI key through EC2. It can never share, deregister or
 * retag an image after creation.
 */
export function builderPolicy(ctx: AccountContext, keyArn: string): PolicyDocument {
  return doc([
    {
      Sid: "ReadImages",
      Effect: "Allow",
      Action: [
        "ec2:DescribeImages",
        "ec2:DescribeSnapshots",
        "ec2:DescribeInstances",
        "ec2:DescribeVolumes",
        "ec2:DescribeTags",
      ],
      Resource: "*",
    },
    {
      Sid: "ReadImageAttributes",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: imageArns(ctx),
    },
    {
      Sid: "CreateImagesTaggedOnCreate",
      Effect: "Allow",
      Action: IMAGE_CREATE_ACTIONS,
      Resource: [imageArns(ctx), snapshotArns(ctx)],
      Condition: { StringEquals: { "aws:RequestTag/Environment": ctx.environment } },
    },
    {
      Sid: "CreateImagesFromBuildInstances",
      Effect: "Allow",
      Action: ["ec2:CreateImage", "ec2:CreateSnapshot", "ec2:CreateSnapshots"],
      Resource: [acctArn(ctx, "instance"), acctArn(ctx, "volume")],
      Condition: { StringEquals: { "aws:ResourceTag/Environment": ctx.environment } },
    },
    {
      Sid: "TagImagesOnlyOnCreate",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: [imageArns(ctx), snapshotArns(ctx)],
      Condition: {
        StringEquals: {
          "ec2:CreateAction": [
            "CreateImage",
            "CopyImage",
            "RegisterImage",
            "CreateSnapshot",
            "CreateSnapshots",
          ],
        },
      },
    },
    ...useKeyViaEc2(ctx, keyArn),
    { Sid: "BuildHostAgent", Effect: "Allow", Action: BUILD_HOST_AGENT_ACTIONS, Resource: "*" },
    {
      Sid: "BuildHostAgentDocuments",
      Effect: "Allow",
      Action: [
        "ssm:GetDocument",
        "ssm:DescribeDocument",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:UpdateAssociationStatus",
        "ssm:UpdateInstanceAssociationStatus",
      ],
      Resource: [
        `arn:${ctx.partition}:ssm:${ctx.region}::document/*`,
        `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:document/*`,
        `arn:${ctx.partition}:ssm:${ctx.region}::parameter/aws/*`,
        `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:association/*`,
        acctArn(ctx, "instance"),
      ],
    },
    {
      Sid: "BuildHostComponents",
      Effect: "Allow",
      Action: "imagebuilder:GetComponent",
      Resource: [
        `arn:${ctx.partition}:imagebuilder:${ctx.region}:aws:component/*`,
        `arn:${ctx.partition}:imagebuilder:${ctx.region}:${ctx.accountId}:component/*`,
      ],
    },
    {
      Sid: "BuildHostComponentArtifacts",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:${ctx.partition}:s3:::ec2imagebuilder*`,
    },
    {
      Sid: "BuildHostLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/imagebuilder/*`,
    },
    {
      Sid: "BuilderNeverSharesOrDeletes",
      Effect: "Deny",
      Action: IMAGE_CHANGE_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "BuilderNeverRetags",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [`arn:${ctx.partition}:ec2:*::image/*`, `arn:${ctx.partition}:ec2:*::snapshot/*`],
      Condition: { Null: { "ec2:CreateAction": "true" } },
    },
  ]);
}

/**
 * Publisher: the only role that may change launch permissions, and only of this account's approved images of
 * its environment. IAM has no condition key for an AMI launch permission's target, so the target is bounded
 * by Image Block Public Access (no `all`), by the AMI key policy (only allow-listed accounts, organizations
 * and OUs can use the key, so an encrypted AMI shared elsewhere cannot launch) and by the snapshot conditions
 * below (`ec2:Add/userId`, `ec2:Add/group`), which IAM does evaluate.
 */
/**
 * Denies sharing snapshots publicly (`ec2:Add/group`) and with any account outside the allow-list
 * (`ec2:Add/userId`, which IAM evaluates for snapshots); with no allow-listed account, any account.
 */
function snapshotSharingDenies(
  sharing: SharingTargets,
  publicSid: string,
  outsideSid: string,
): PolicyStatement[] {
  const base = { Effect: "Deny" as const, Action: "ec2:ModifySnapshotAttribute", Resource: "*" };
  return [
    { Sid: publicSid, ...base, Condition: { Null: { "ec2:Add/group": "false" } } },
    {
      Sid: outsideSid,
      ...base,
      Condition:
        sharing.accountIds.length > 0
          ? { StringNotEquals: { "ec2:Add/userId": [...sharing.accountIds] } }
          : { Null: { "ec2:Add/userId": "false" } },
    },
  ];
}

export function publisherPolicy(ctx: AccountContext, sharing: SharingTargets): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadImages",
      Effect: "Allow",
      Action: ["ec2:DescribeImages", "ec2:DescribeSnapshots"],
      Resource: "*",
    },
    {
      Sid: "ReadSharing",
      Effect: "Allow",
      Action: ["ec2:DescribeImageAttribute", "ec2:DescribeSnapshotAttribute"],
      Resource: [imageArns(ctx), snapshotArns(ctx)],
    },
    {
      Sid: "ShareOwnApprovedImages",
      Effect: "Allow",
      Action: ["ec2:ModifyImageAttribute", "ec2:ResetImageAttribute"],
      Resource: imageArns(ctx),
      Condition: {
        StringEquals: {
          "ec2:Owner": ctx.accountId,
          "ec2:ResourceTag/Approved": "true",
          "ec2:ResourceTag/Environment": ctx.environment,
        },
      },
    },
  ];
  if (sharing.accountIds.length > 0) {
    statements.push({
      Sid: "ShareSnapshotsWithAllowListedAccounts",
      Effect: "Allow",
      Action: "ec2:ModifySnapshotAttribute",
      Resource: snapshotArns(ctx),
      Condition: {
        StringEquals: { "ec2:Owner": ctx.accountId, "ec2:Add/userId": [...sharing.accountIds] },
      },
    });
  }
  statements.push(
    ...snapshotSharingDenies(sharing, "NeverSharePublicly", "NeverShareOutsideAllowList"),
    {
      Sid: "PublisherNeverCreatesOrDeletes",
      Effect: "Deny",
      Action: [...IMAGE_CREATE_ACTIONS, "ec2:DeregisterImage", "ec2:DeleteSnapshot"],
      Resource: "*",
    },
    {
      Sid: "PublisherNeverRetags",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [`arn:${ctx.partition}:ec2:*::image/*`, `arn:${ctx.partition}:ec2:*::snapshot/*`],
    },
  );
  return doc(statements);
}

/**
 * Deployer: launches only this account's images tagged `Approved=true` for its environment, with IMDSv2 and
 * encrypted volumes, and rolls fleets out; it cannot create, change, retag or deregister images.
 */
export function deployerPolicy(ctx: AccountContext, keyArn: string): PolicyDocument {
  return doc([
    {
      Sid: "ReadFleet",
      Effect: "Allow",
      Action: [
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstanceTypes",
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "autoscaling:DescribeScalingActivities",
      ],
      Resource: "*",
    },
    {
      Sid: "LaunchApprovedImages",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: imageArns(ctx),
      Condition: {
        StringEquals: {
          "ec2:Owner": ctx.accountId,
          "ec2:ResourceTag/Approved": "true",
          "ec2:ResourceTag/Environment": ctx.environment,
        },
      },
    },
    {
      Sid: "LaunchImdsV2Instances",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: acctArn(ctx, "instance"),
      Condition: { StringEquals: { "ec2:MetadataHttpTokens": "required" } },
    },
    {
      Sid: "LaunchEncryptedVolumes",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: acctArn(ctx, "volume"),
      Condition: { Bool: { "ec2:Encrypted": "true" } },
    },
    {
      Sid: "LaunchIntoNetwork",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: [
        acctArn(ctx, "network-interface"),
        acctArn(ctx, "security-group"),
        acctArn(ctx, "subnet"),
        acctArn(ctx, "launch-template"),
      ],
    },
    {
      Sid: "TagOnLaunch",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: [acctArn(ctx, "instance"), acctArn(ctx, "volume"), acctArn(ctx, "network-interface")],
      Condition: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
    },
    {
      Sid: "RollOutLaunchTemplates",
      Effect: "Allow",
      Action: ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
      Resource: acctArn(ctx, "launch-template"),
      Condition: { StringEquals: { "aws:ResourceTag/Environment": ctx.environment } },
    },
    {
      Sid: "RollOutFleets",
      Effect: "Allow",
      Action: [
        "autoscaling:StartInstanceRefresh",
        "autoscaling:CancelInstanceRefresh",
        "autoscaling:RollbackInstanceRefresh",
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:SetDesiredCapacity",
      ],
      Resource: `arn:${ctx.partition}:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
      Condition: { StringEquals: { "aws:ResourceTag/Environment": ctx.environment } },
    },
    ...useKeyViaEc2(ctx, keyArn),
    {
      Sid: "NeverLaunchUnapprovedImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: `arn:${ctx.partition}:ec2:*::image/*`,
      Condition: { StringNotEquals: { "ec2:ResourceTag/Approved": "true" } },
    },
    {
      Sid: "NeverLaunchForeignImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: `arn:${ctx.partition}:ec2:*::image/*`,
      Condition: { StringNotEquals: { "ec2:Owner": ctx.accountId } },
    },
    {
      Sid: "DeployerNeverMakesOrChangesImages",
      Effect: "Deny",
      Action: [...IMAGE_CREATE_ACTIONS, ...IMAGE_CHANGE_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "DeployerNeverRetagsImages",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [`arn:${ctx.partition}:ec2:*::image/*`, `arn:${ctx.partition}:ec2:*::snapshot/*`],
    },
  ]);
}

/** Auditor: read-only over images, guardrails, fleets, findings and the trail's logs. */
export function auditorPolicy(
  ctx: AccountContext,
  audit: { trailBucketArn: string; trailLogGroupArn: string },
): PolicyDocument {
  return doc([
    {
      Sid: "ReadAmiEstate",
      Effect: "Allow",
      Action: [
        "ec2:DescribeImages",
        "ec2:DescribeSnapshots",
        "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetImageBlockPublicAccessState",
        "ec2:GetSnapshotBlockPublicAccessState",
        "ec2:GetAllowedImagesSettings",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "cloudtrail:DescribeTrails",
        "cloudtrail:LookupEvents",
        "inspector2:ListFindings",
        "inspector2:ListCoverage",
        "inspector2:BatchGetAccountStatus",
        "imagebuilder:ListImages",
        "imagebuilder:ListImagePipelines",
        "rbin:ListRules",
        "kms:ListAliases",
      ],
      Resource: "*",
    },
    {
      Sid: "ReadAmiGuardResources",
      Effect: "Allow",
      Action: [
        "ec2:DescribeImageAttribute",
        "ec2:DescribeSnapshotAttribute",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudwatch:DescribeAlarms",
        "imagebuilder:GetImage",
        "imagebuilder:GetImagePipeline",
        "rbin:GetRule",
      ],
      Resource: [
        imageArns(ctx),
        snapshotArns(ctx),
        `arn:${ctx.partition}:cloudtrail:*:${ctx.accountId}:trail/*`,
        `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:*`,
        `arn:${ctx.partition}:imagebuilder:${ctx.region}:${ctx.accountId}:image/*`,
        `arn:${ctx.partition}:imagebuilder:${ctx.region}:${ctx.accountId}:image-pipeline/*`,
        `arn:${ctx.partition}:rbin:${ctx.region}:${ctx.accountId}:rule/*`,
      ],
    },
    {
      Sid: "ReadKeys",
      Effect: "Allow",
      Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"],
      Resource: `arn:${ctx.partition}:kms:${ctx.region}:${ctx.accountId}:key/*`,
    },
    {
      Sid: "ReadTrailLogs",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: [audit.trailBucketArn, `${audit.trailBucketArn}/*`],
    },
    {
      Sid: "ReadTrailLogGroup",
      Effect: "Allow",
      Action: ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"],
      Resource: [audit.trailLogGroupArn, `${audit.trailLogGroupArn}:log-stream:*`],
    },
  ]);
}

/** The role's trust: the configured principals (never an account root) and, for the builder, EC2. */
export function trustPolicy(
  principalArns: readonly string[],
  services: readonly string[] = [],
): PolicyDocument {
  const statements: PolicyStatement[] = [];
  if (principalArns.length > 0) {
    statements.push({
      Sid: "ConfiguredPrincipals",
      Effect: "Allow",
      Principal: { AWS: [...principalArns] },
      Action: "sts:AssumeRole",
    });
  }
  if (services.length > 0) {
    statements.push({
      Sid: "Services",
      Effect: "Allow",
      Principal: { Service: [...services] },
      Action: "sts:AssumeRole",
    });
  }
  return doc(statements);
}

/**
 * The permissions boundary of every AMI Guard role: it allows at most the union of the roles' own allowed
 * actions, and denies tampering with guardrails, the trail or the keys, and public or non-allow-listed
 * snapshot sharing, whatever policy is attached later.
 */
export function roleBoundary(
  ctx: AccountContext,
  sharing: SharingTargets,
  roleDocs: PolicyDocument[],
): PolicyDocument {
  const allowed = new Set<string>();
  for (const d of roleDocs) {
    for (const s of d.Statement) {
      if (s.Effect !== "Allow") continue;
      for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) allowed.add(a);
    }
  }
  return doc([
    { Sid: "AtMostTheRolesActions", Effect: "Allow", Action: [...allowed].sort(), Resource: "*" },
    { Sid: "NoGuardrailTampering", Effect: "Deny", Action: GUARDRAIL_TAMPER_ACTIONS, Resource: "*" },
    ...snapshotSharingDenies(sharing, "NoPublicSnapshotSharing", "NoSnapshotSharingOutsideAllowList"),
    {
      Sid: "NoIamChanges",
      Effect: "Deny",
      Action: [
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:UpdateAssumeRolePolicy",
      ],
      Resource: "*",
    },
  ]);
}

/** Organization id (`o-…`) of an organization or OU ARN. */
export function orgIdOf(arn: string): string {
  const m = /:(?:organization|ou)\/(o-[a-z0-9]+)/.exec(arn);
  if (!m) throw new Error(`not an organization or OU ARN: ${arn}`);
  return m[1];
}

/** `aws:PrincipalOrgPaths` pattern of an OU ARN: `o-…/*\/ou-…/*`. */
export function orgPathOf(ouArn: string): string {
  const m = /:ou\/(o-[a-z0-9]+)\/(ou-[a-z0-9-]+)$/.exec(ouArn);
  if (!m) throw new Error(`not an OU ARN: ${ouArn}`);
  return `${m[1]}/*/${m[2]}/*`;
}

/**
 * The AMI key's policy: the account administers it (no cryptographic use); the builder, deployer and the
 * Image Builder and Auto Scaling service-linked roles use it only through EC2 in this region and account;
 * allow-listed accounts, organizations and OUs use it only through EC2 (to launch shared AMIs); and every
 * cryptographic use that does not come through EC2 is denied, for everybody.
 */
export function amiKeyPolicy(ctx: AccountContext, sharing: SharingTargets): PolicyDocument {
  const via = { "kms:ViaService": ec2Service(ctx) };
  const users = [
    roleArn(ctx, "builder"),
    roleArn(ctx, "deployer"),
    serviceLinkedRoleArn(ctx, "imagebuilder"),
    serviceLinkedRoleArn(ctx, "autoscaling"),
  ];
  const sharedUse = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
  ];
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: KMS_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "BuildAndLaunchRolesUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: [...KMS_CRYPTO_ACTIONS, "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: { ...via, "kms:CallerAccount": ctx.accountId },
        ArnLike: { "aws:PrincipalArn": users },
      },
    },
    {
      Sid: "BuildAndLaunchRolesGrantThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: {
        StringEquals: { ...via, "kms:CallerAccount": ctx.accountId },
        ArnLike: { "aws:PrincipalArn": users },
        Bool: { "kms:GrantIsForAWSResource": "true" },
      },
    },
  ];
  if (sharing.accountIds.length > 0) {
    statements.push({
      Sid: "AllowListedAccountsUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: { StringEquals: { ...via, "kms:CallerAccount": [...sharing.accountIds] } },
    });
  }
  if (sharing.organizationArns.length > 0) {
    statements.push({
      Sid: "AllowListedOrganizationsUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: { StringEquals: { ...via, "aws:PrincipalOrgID": sharing.organizationArns.map(orgIdOf) } },
    });
  }
  if (sharing.organizationalUnitArns.length > 0) {
    statements.push({
      Sid: "AllowListedOusUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: {
        StringEquals: via,
        "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": sharing.organizationalUnitArns.map(orgPathOf) },
      },
    });
  }
  statements.push({
    Sid: "DenyUseOutsideEc2",
    Effect: "Deny",
    Principal: "*",
    Action: KMS_CRYPTO_ACTIONS,
    Resource: "*",
    Condition: { StringNotEquals: via },
  });
  return doc(statements);
}

/**
 * The audit key's policy (trail files, trail log group, alarm topic): the account administers it; CloudTrail
 * encrypts for this trail only; CloudWatch Logs uses it for log groups of this account; CloudWatch alarms
 * publish to the encrypted topic; the auditor decrypts trail files through S3.
 */
export function auditKeyPolicy(ctx: AccountContext): PolicyDocument {
  return doc([
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: KMS_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "CloudTrailEncryptsThisTrail",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceArn": trailArn(ctx) },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${ctx.partition}:cloudtrail:*:${ctx.accountId}:trail/*`,
        },
      },
    },
    {
      Sid: "CloudTrailDescribesKey",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": trailArn(ctx) } },
    },
    {
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
      ],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:*`,
        },
      },
    },
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
    {
      Sid: "AuditorReadsTrailFilesThroughS3",
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:ViaService": `s3.${ctx.region}.amazonaws.com`,
          "kms:CallerAccount": ctx.accountId,
        },
        ArnLike: { "aws:PrincipalArn": roleArn(ctx, "auditor") },
      },
    },
  ]);
}

/**
 * The trail bucket's policy: CloudTrail (this trail only) checks the ACL and writes under AWSLogs/<account>/;
 * nobody else may write, overwrite or delete objects; TLS only.
 */
export function trailBucketPolicy(ctx: AccountContext, bucketArn: string): PolicyDocument {
  const trail = trailArn(ctx);
  return doc([
    {
      Sid: "CloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": trail } },
    },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/AWSLogs/${ctx.accountId}/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail } },
    },
    {
      Sid: "OnlyCloudTrailWrites",
      Effect: "Deny",
      Principal: "*",
      Action: [
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectRetention",
        "s3:PutObjectLegalHold",
      ],
      Resource: `${bucketArn}/*`,
      Condition: { StringNotEquals: { "aws:PrincipalServiceName": "cloudtrail.amazonaws.com" } },
    },
    {
      Sid: "TlsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}

/** Trust of the trail's CloudWatch Logs delivery role: CloudTrail, for this trail only. */
export function trailLogsTrustPolicy(ctx: AccountContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudTrailForThisTrail",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceArn": trailArn(ctx), "aws:SourceAccount": ctx.accountId } },
      },
    ],
  };
}

/** The delivery role may write only to the trail's log group. */
export function trailLogsRolePolicy(logGroupArn: string): PolicyDocument {
  return doc([
    {
      Sid: "DeliverToTrailLogGroup",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${logGroupArn}:log-stream:*`,
    },
  ]);
}

/** The alarm topic's policy: CloudWatch alarms of this account publish; TLS only. */
export function alarmTopicPolicy(ctx: AccountContext, topicArn: string): PolicyDocument {
  return doc([
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: {
          "aws:SourceArn": `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:*`,
        },
      },
    },
    {
      Sid: "TlsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}

/**
 * Organisation guardrail (service control policy): no public AMI or snapshot sharing, no disabling of image
 * or snapshot block public access, Allowed AMIs or EBS encryption by default, and no stopping or deleting of
 * AMI Guard trails.
 */
export function guardrailScp(partition: string): PolicyDocument {
  return doc([
    {
      Sid: "DenyDisablingAmiGuardrails",
      Effect: "Deny",
      Action: [
        "ec2:DisableImageBlockPublicAccess",
        "ec2:DisableSnapshotBlockPublicAccess",
        "ec2:DisableAllowedImagesSettings",
        "ec2:DisableEbsEncryptionByDefault",
      ],
      Resource: "*",
    },
    {
      Sid: "DenyPublicSnapshotSharing",
      Effect: "Deny",
      Action: "ec2:ModifySnapshotAttribute",
      Resource: "*",
      Condition: { StringEquals: { "ec2:Add/group": "all" } },
    },
    {
      Sid: "DenyStoppingAmiGuardTrails",
      Effect: "Deny",
      Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
      Resource: `arn:${partition}:cloudtrail:*:*:trail/ami-guard-*`,
    },
  ]);
}
