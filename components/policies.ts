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

/** The tag key that approves an image for launch: only the publisher (and the pipeline's distribution) write it. */
export const APPROVAL_TAG = "Approved";
/**
 * Provenance tags: `AmiGuardBuild` is set on build instances (and their volumes) only by Image Builder, through
 * the infrastructure configuration's resource tags; `Ec2ImageBuilderArn` is set by Image Builder on the AMIs it
 * distributes. No AMI Guard role, and under the SCP no principal but the break-glass one, may write either.
 */
export const BUILD_INSTANCE_TAG = "AmiGuardBuild";
export const PROVENANCE_TAGS = [BUILD_INSTANCE_TAG, "Ec2ImageBuilderArn"];
/** Name of the break-glass role the SCP exempts (in every account it covers). */
export const BREAK_GLASS_ROLE_NAME = "ami-guard-break-glass";
/** SSM parameter paths the pack and the audit resolve AMI ids from (`resolve:ssm:`): AWS's public ones and ours. */
export const AMI_PARAMETER_PATHS = ["aws/service/*", "ami-guard/*"];

const ec2Service = (ctx: AccountContext) => `ec2.${ctx.region}.amazonaws.com`;
const imageArns = (ctx: AccountContext) => `arn:${ctx.partition}:ec2:${ctx.region}::image/*`;
const snapshotArns = (ctx: AccountContext) => `arn:${ctx.partition}:ec2:${ctx.region}::snapshot/*`;
const anyRegionImages = (partition: string) => `arn:${partition}:ec2:*::image/*`;
const anyRegionSnapshots = (partition: string) => `arn:${partition}:ec2:*::snapshot/*`;
/** AMI parameters: AWS's public ones and ours. */
const amiParameterArns = (partition: string, accountId: string): string[] => [
  // `*` for the account: public parameters have none (`…::parameter/aws/service/…`); names under /aws/ are AWS's.
  `arn:${partition}:ssm:*:*:parameter/${AMI_PARAMETER_PATHS[0]}`,
  `arn:${partition}:ssm:*:${accountId}:parameter/${AMI_PARAMETER_PATHS[1]}`,
];
/** Tag-writing actions on creation: the `aws:TagKeys` of each carries every tag the request writes. */
const TAG_WRITING_ACTIONS = [
  "ec2:CreateImage",
  "ec2:CopyImage",
  "ec2:RegisterImage",
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
  "ec2:CreateTags",
  "ec2:DeleteTags",
  "ec2:RunInstances",
];
/** Denies writing (or removing) any of `keys` with the tag-writing actions, whatever their case. */
const denyTagKeys = (sid: string, keys: readonly string[], extra: ConditionBlock = {}): PolicyStatement[] => [
  {
    Sid: sid,
    Effect: "Deny",
    Action: TAG_WRITING_ACTIONS,
    Resource: "*",
    Condition: { "ForAnyValue:StringEqualsIgnoreCase": { "aws:TagKeys": [...keys] }, ...extra },
  },
  ...keys.map((k): PolicyStatement => ({
    Sid: `${sid}${k.replace(/[^A-Za-z0-9]/g, "")}RequestTag`,
    Effect: "Deny",
    Action: TAG_WRITING_ACTIONS,
    Resource: "*",
    Condition: { Null: { [`aws:RequestTag/${k}`]: "false" }, ...extra },
  })),
];
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
/**
 * Account-wide settings whose change can weaken a guardrail. None has a condition key for the new state
 * (`EnableAllowedImagesSettings` to `audit-mode`, `EnableSnapshotBlockPublicAccess` to `block-new-sharing` or
 * `unblocked`, `EnableImageBlockPublicAccess`), so the whole action is denied outside the break-glass principal,
 * and the two "enable" downgrades are also alarmed on (components/ami-activity-alarms.ts).
 */
export const ACCOUNT_GUARDRAIL_ACTIONS = [
  "ec2:DisableImageBlockPublicAccess",
  "ec2:EnableImageBlockPublicAccess",
  "ec2:DisableSnapshotBlockPublicAccess",
  "ec2:EnableSnapshotBlockPublicAccess",
  "ec2:DisableEbsEncryptionByDefault",
  "ec2:ModifyEbsDefaultKmsKeyId",
  "ec2:ResetEbsDefaultKmsKeyId",
  "ec2:DisableAllowedImagesSettings",
  "ec2:EnableAllowedImagesSettings",
  "ec2:ReplaceImageCriteriaInAllowedImagesSettings",
];
/** The trail, its metric filters and alarms: what would let a change go unrecorded or unannounced. */
export const TRAIL_TAMPER_ACTIONS = [
  "cloudtrail:StopLogging",
  "cloudtrail:DeleteTrail",
  "cloudtrail:UpdateTrail",
  "cloudtrail:PutEventSelectors",
  "cloudtrail:PutInsightSelectors",
];
export const ALARM_TAMPER_ACTIONS = [
  "logs:DeleteMetricFilter",
  "logs:PutMetricFilter",
  "logs:DeleteLogGroup",
  "logs:PutRetentionPolicy",
  "cloudwatch:DisableAlarmActions",
  "cloudwatch:DeleteAlarms",
  "cloudwatch:PutMetricAlarm",
  "cloudwatch:SetAlarmState",
];
/** The AMI key: disabling or deleting it, or rewriting its policy. */
export const KEY_TAMPER_ACTIONS = [
  "kms:DisableKey",
  "kms:ScheduleKeyDeletion",
  "kms:PutKeyPolicy",
  "kms:DeleteAlias",
  "kms:UpdateAlias",
];
export const RECYCLE_BIN_TAMPER_ACTIONS = ["rbin:DeleteRule", "rbin:UpdateRule", "rbin:UnlockRule"];

/** Turning off any account guardrail or the audit trail: denied to every AMI Guard role (boundary and SCP). */
export const GUARDRAIL_TAMPER_ACTIONS = [
  ...ACCOUNT_GUARDRAIL_ACTIONS,
  "ec2:DisableImageDeregistrationProtection",
  ...TRAIL_TAMPER_ACTIONS,
  ...ALARM_TAMPER_ACTIONS,
  ...KEY_TAMPER_ACTIONS,
  ...RECYCLE_BIN_TAMPER_ACTIONS,
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
 * retag an image after creation, never write the `Approved` tag or a provenance tag, and it cannot launder a
 * foreign image: CopyImage only from this account's or Amazon's images (`ec2:Owner` of the source image),
 * RegisterImage only from this account's snapshots (`ec2:Owner` of the snapshot), CreateImage and
 * CreateSnapshot(s) only from instances and volumes that Image Builder launched for this environment
 * (the `AmiGuardBuild` tag, which only Image Builder writes).
 */
export function builderPolicy(ctx: AccountContext, keyArn: string): PolicyDocument {
  const p = ctx.partition;
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
      Condition: { StringEquals: { [`aws:ResourceTag/${BUILD_INSTANCE_TAG}`]: ctx.environment } },
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
        `arn:${p}:ssm:${ctx.region}::document/*`,
        `arn:${p}:ssm:${ctx.region}:${ctx.accountId}:document/*`,
        `arn:${p}:ssm:${ctx.region}::parameter/aws/*`,
        `arn:${p}:ssm:${ctx.region}:${ctx.accountId}:association/*`,
        acctArn(ctx, "instance"),
      ],
    },
    {
      Sid: "BuildHostComponents",
      Effect: "Allow",
      Action: "imagebuilder:GetComponent",
      Resource: [
        `arn:${p}:imagebuilder:${ctx.region}:aws:component/*`,
        `arn:${p}:imagebuilder:${ctx.region}:${ctx.accountId}:component/*`,
      ],
    },
    {
      Sid: "BuildHostComponentArtifacts",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:${p}:s3:::ec2imagebuilder*`,
    },
    {
      Sid: "BuildHostLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${p}:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/imagebuilder/*`,
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
      Resource: [anyRegionImages(p), anyRegionSnapshots(p)],
      Condition: { Null: { "ec2:CreateAction": "true" } },
    },
    ...denyTagKeys("BuilderNeverApprovesOrForgesProvenance", [APPROVAL_TAG, ...PROVENANCE_TAGS]),
    {
      Sid: "CopyOnlyOwnOrAmazonImages",
      Effect: "Deny",
      Action: "ec2:CopyImage",
      Resource: anyRegionImages(p),
      Condition: {
        StringNotEquals: { "ec2:Owner": [ctx.accountId, "amazon"] },
        Null: { "ec2:Owner": "false" },
      },
    },
    {
      Sid: "RegisterOnlyFromOwnSnapshots",
      Effect: "Deny",
      Action: "ec2:RegisterImage",
      Resource: anyRegionSnapshots(p),
      Condition: { StringNotEquals: { "ec2:Owner": ctx.accountId } },
    },
  ]);
}

/**
 * Publisher: the only role that may approve an image (write or remove its `Approved` tag, and no other tag)
 * and the only one that may change launch permissions, and only of this account's approved images of
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
  statements.push({
    Sid: "ApproveOwnImagesOfItsEnvironment",
    Effect: "Allow",
    Action: ["ec2:CreateTags", "ec2:DeleteTags"],
    Resource: imageArns(ctx),
    Condition: {
      StringEquals: { "ec2:Owner": ctx.accountId, "ec2:ResourceTag/Environment": ctx.environment },
      "ForAllValues:StringEquals": { "aws:TagKeys": [APPROVAL_TAG] },
    },
  });
  statements.push(
    ...snapshotSharingDenies(sharing, "NeverSharePublicly", "NeverShareOutsideAllowList"),
    {
      Sid: "PublisherNeverCreatesOrDeletes",
      Effect: "Deny",
      Action: [...IMAGE_CREATE_ACTIONS, "ec2:DeregisterImage", "ec2:DeleteSnapshot"],
      Resource: "*",
    },
    {
      Sid: "PublisherWritesNoOtherTag",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: "*",
      Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": [APPROVAL_TAG] } },
    },
    {
      Sid: "PublisherNeverTagsWithoutNamingTheKey",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: "*",
      Condition: { Null: { "aws:TagKeys": "true" } },
    },
    {
      Sid: "PublisherApprovesOnlyWithTrueOrFalse",
      Effect: "Deny",
      Action: "ec2:CreateTags",
      Resource: "*",
      Condition: { StringNotEquals: { [`aws:RequestTag/${APPROVAL_TAG}`]: ["true", "false"] } },
    },
  );
  return doc(statements);
}

/**
 * Deployer: launches only this account's images tagged `Approved=true` for its environment, with IMDSv2 and
 * encrypted volumes, and rolls fleets out; it cannot create, change, retag or deregister images. Auto Scaling
 * launches through its own service-linked role, so the deployer never writes launch templates (IAM has no
 * condition key on the image inside a launch template version: `CreateLaunchTemplateVersion` offers only tag
 * keys) and every group it creates or updates pins a launch template version
 * (`autoscaling:LaunchTemplateVersionSpecified`): Auto Scaling then checks the deployer's own `ec2:RunInstances`
 * on that version's image, so the image conditions below apply, and no later `$Latest`/`$Default` version can
 * slip in. It also holds the policy pack's own read needs (DescribeImages, DescribeImageAttribute,
 * DescribeLaunchTemplateVersions, SSM AMI parameters) so it can run `pulumi preview`/`up` with the pack.
 */
/**
 * The deployer's policy. `sharedImageOwners` (a workload account's `ownerReadRoles`: owner account id → the
 * owner read role there) lets it launch the golden images those accounts share with it and lets the policy pack
 * it runs assume their read roles. A shared image's tags are not visible in this account, so IAM cannot ask
 * for `Approved=true` on it: approval is the owner's publisher's (who shares only approved images) and the
 * pack's (which reads the owner's tags through the read role).
 */
export function deployerPolicy(
  ctx: AccountContext,
  keyArn: string,
  sharedImageOwners: Readonly<Record<string, string>> = {},
): PolicyDocument {
  const owners = Object.keys(sharedImageOwners).sort();
  const sharedImages: PolicyStatement[] =
    owners.length === 0
      ? []
      : [
          {
            Sid: "LaunchSharedGoldenImages",
            Effect: "Allow",
            Action: "ec2:RunInstances",
            Resource: imageArns(ctx),
            Condition: { StringEquals: { "ec2:Owner": owners } },
          },
          {
            Sid: "PolicyPackAssumesOwnerReadRoles",
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: owners.map((o) => sharedImageOwners[o]),
          },
        ];
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
    ...sharedImages,
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
    {
      Sid: "PolicyPackReadsImageFacts",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: anyRegionImages(ctx.partition),
    },
    {
      Sid: "PolicyPackResolvesAmiParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      Resource: amiParameterArns(ctx.partition, ctx.accountId),
    },
    ...useKeyViaEc2(ctx, keyArn),
    {
      Sid: "NeverWritesLaunchTemplates",
      Effect: "Deny",
      Action: [
        "ec2:CreateLaunchTemplate",
        "ec2:CreateLaunchTemplateVersion",
        "ec2:ModifyLaunchTemplate",
        "autoscaling:CreateLaunchConfiguration",
      ],
      Resource: "*",
    },
    {
      Sid: "GroupsPinALaunchTemplateVersion",
      Effect: "Deny",
      Action: ["autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup"],
      Resource: "*",
      Condition: { Bool: { "autoscaling:LaunchTemplateVersionSpecified": "false" } },
    },
    {
      Sid: "GroupsNeverUseLaunchConfigurations",
      Effect: "Deny",
      Action: ["autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup"],
      Resource: "*",
      Condition: { Null: { "autoscaling:LaunchConfigurationName": "false" } },
    },
    {
      Sid: "NeverLaunchUnapprovedImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: `arn:${ctx.partition}:ec2:*::image/*`,
      Condition: {
        StringNotEquals: { "ec2:ResourceTag/Approved": "true" },
        StringEquals: { "ec2:Owner": ctx.accountId },
      },
    },
    {
      Sid: "NeverLaunchForeignImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: `arn:${ctx.partition}:ec2:*::image/*`,
      Condition: { StringNotEquals: { "ec2:Owner": [ctx.accountId, ...owners] } },
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

/**
 * What `ami-guard audit` itself calls (src/audit), in every region it audits: the document docs/audit.md shows
 * (rendered from this function: `auditCommandPolicy("aws")`) and the first statements of the deployed auditor
 * role. `accountId` "*" for the generic document; resources the audit reads in every region are not pinned to
 * one. Organization trails live in the management account, so trail reads are not pinned to the account.
 */
export function auditCommandStatements(partition: string, accountId = "*"): PolicyStatement[] {
  return [
    {
      Sid: "AmiGuardAuditReads",
      Effect: "Allow",
      Action: [
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeFleets",
        "ec2:DescribeSpotFleetRequests",
        "ec2:DescribeRegions",
        "ec2:GetAllowedImagesSettings",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetImageBlockPublicAccessState",
        "ec2:GetSnapshotBlockPublicAccessState",
        "autoscaling:DescribeAutoScalingGroups",
        "inspector2:BatchGetAccountStatus",
        "cloudtrail:DescribeTrails",
      ],
      Resource: "*",
    },
    {
      Sid: "AmiGuardAuditImageSharing",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: anyRegionImages(partition),
    },
    {
      Sid: "AmiGuardAuditAmiParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      Resource: amiParameterArns(partition, accountId),
    },
    {
      Sid: "AmiGuardAuditTrails",
      Effect: "Allow",
      Action: ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
      Resource: `arn:${partition}:cloudtrail:*:*:trail/*`,
    },
  ];
}

/** The policy docs/audit.md documents for the role `ami-guard audit --role-arn` assumes, in any account. */
export function auditCommandPolicy(partition: string): PolicyDocument {
  return doc(auditCommandStatements(partition));
}

/**
 * Auditor: read-only over images, guardrails, fleets, findings and the trail's logs. Its first statements are
 * exactly what `ami-guard audit` needs ({@link auditCommandStatements}), in every region.
 */
export function auditorPolicy(
  ctx: AccountContext,
  audit: { trailBucketArn: string; trailLogGroupArn: string },
): PolicyDocument {
  return doc([
    ...auditCommandStatements(ctx.partition),
    {
      Sid: "ReadAmiEstate",
      Effect: "Allow",
      Action: [
        "ec2:DescribeSnapshots",
        "ec2:DescribeLaunchTemplates",
        "autoscaling:DescribeInstanceRefreshes",
        "cloudtrail:LookupEvents",
        "inspector2:ListFindings",
        "inspector2:ListCoverage",
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
        "ec2:DescribeSnapshotAttribute",
        "cloudwatch:DescribeAlarms",
        "imagebuilder:GetImage",
        "imagebuilder:GetImagePipeline",
        "rbin:GetRule",
      ],
      Resource: [
        anyRegionSnapshots(ctx.partition),
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

/**
 * The role's trust: the configured principals (never an account root) and, for the builder, EC2 — a service
 * principal only on behalf of this account (`aws:SourceAccount`), so no other account's instance or service
 * can act as the role (confused deputy).
 */
export function trustPolicy(
  principalArns: readonly string[],
  services: readonly string[] = [],
  sourceAccount?: string,
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
    if (!sourceAccount) throw new Error("a service principal's trust needs the source account");
    statements.push({
      Sid: "Services",
      Effect: "Allow",
      Principal: { Service: [...services] },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } },
    });
  }
  return doc(statements);
}

/** Trust of the Image Builder lifecycle execution role: Image Builder, for this account's lifecycle policies. */
export function imageBuilderLifecycleTrustPolicy(ctx: AccountContext): PolicyDocument {
  return doc([
    {
      Sid: "ImageBuilderLifecyclePoliciesOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "imagebuilder.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: {
          "aws:SourceArn": `arn:${ctx.partition}:imagebuilder:${ctx.region}:${ctx.accountId}:lifecycle-policy/*`,
        },
      },
    },
  ]);
}

/**
 * The permissions boundary of every AMI Guard role: it allows at most the union of the roles' own allowed
 * actions, and denies tampering with guardrails, the trail, its filters and alarms or the keys, writing a
 * provenance tag, writing `Approved` (except the publisher), and public or non-allow-listed snapshot sharing,
 * whatever policy is attached later.
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
    ...denyTagKeys("NoProvenanceTags", PROVENANCE_TAGS),
    ...denyTagKeys("OnlyThePublisherApproves", [APPROVAL_TAG], {
      ArnNotEquals: { "aws:PrincipalArn": roleArn(ctx, "publisher") },
    }),
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
 * The AMI key's policy: the account administers it (no cryptographic use) and grants it only to AWS
 * resources through EC2 (`kms:GrantIsForAWSResource`, `kms:ViaService`) or to Auto Scaling's service-linked
 * role — never to an arbitrary grantee, which would undo the key-based limit on sharing; the builder, deployer and the
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
  const autoScaling = serviceLinkedRoleArn(ctx, "autoscaling");
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: KMS_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "AccountGrantsKeyOnlyToEc2Resources",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { StringEquals: via, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "AccountGrantsKeyToAutoScaling",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { StringEquals: { "kms:GranteePrincipal": autoScaling } },
    },
    {
      Sid: "NoGrantsOutsideEc2",
      Effect: "Deny",
      Principal: "*",
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: {
        BoolIfExists: { "kms:GrantIsForAWSResource": "false" },
        StringNotEquals: { "kms:GranteePrincipal": autoScaling },
      },
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
      Sid: "AccountGrantsKeyOnlyToAwsResources",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
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

/** The break-glass principal the SCP exempts: the role {@link BREAK_GLASS_ROLE_NAME} in any covered account. */
export function breakGlassPrincipalArns(partition: string): string[] {
  return [`arn:${partition}:iam::*:role/${BREAK_GLASS_ROLE_NAME}`];
}

/**
 * Organisation guardrail (service control policy). Outside the break-glass principal, nobody in a covered
 * account may: weaken an account guardrail (image or snapshot block public access, Allowed AMIs — disabled,
 * re-enabled in audit mode or its criteria replaced —, EBS encryption by default or its default key); stop,
 * delete or re-scope an AMI Guard trail (`PutEventSelectors`, `UpdateTrail`); delete, overwrite or silence its
 * metric filters and alarms; disable, delete or re-policy an AMI Guard key (by alias) or move its alias;
 * remove deregistration protection; change or delete Recycle Bin rules; write a provenance tag; or write
 * `Approved` unless it is an AMI Guard publisher role. Nobody, break-glass included, shares a snapshot with
 * `all`. Service-linked roles (Image Builder's distribution) are not subject to SCPs.
 */
export function guardrailScp(
  partition: string,
  exemptPrincipalArns: readonly string[] = breakGlassPrincipalArns(partition),
): PolicyDocument {
  const outside = { ArnNotLike: { "aws:PrincipalArn": [...exemptPrincipalArns] } };
  const logGroup = `arn:${partition}:logs:*:*:log-group:/aws/cloudtrail/ami-guard-*`;
  return doc([
    {
      Sid: "DenyWeakeningAmiGuardrails",
      Effect: "Deny",
      Action: ACCOUNT_GUARDRAIL_ACTIONS,
      Resource: "*",
      Condition: outside,
    },
    {
      Sid: "DenyPublicSnapshotSharing",
      Effect: "Deny",
      Action: "ec2:ModifySnapshotAttribute",
      Resource: "*",
      Condition: { StringEquals: { "ec2:Add/group": "all" } },
    },
    {
      Sid: "DenyTamperingWithAmiGuardTrails",
      Effect: "Deny",
      Action: TRAIL_TAMPER_ACTIONS,
      Resource: `arn:${partition}:cloudtrail:*:*:trail/ami-guard-*`,
      Condition: outside,
    },
    {
      Sid: "DenyTamperingWithAmiGuardFiltersAndAlarms",
      Effect: "Deny",
      Action: ALARM_TAMPER_ACTIONS,
      Resource: [logGroup, `${logGroup}:*`, `arn:${partition}:cloudwatch:*:*:alarm:ami-guard-*`],
      Condition: outside,
    },
    {
      Sid: "DenyTamperingWithAmiGuardKeys",
      Effect: "Deny",
      Action: KEY_TAMPER_ACTIONS,
      Resource: `arn:${partition}:kms:*:*:key/*`,
      Condition: { ...outside, "ForAnyValue:StringLike": { "kms:ResourceAliases": "alias/ami-guard-*" } },
    },
    {
      Sid: "DenyMovingAmiGuardKeyAliases",
      Effect: "Deny",
      Action: ["kms:DeleteAlias", "kms:UpdateAlias", "kms:CreateAlias"],
      Resource: `arn:${partition}:kms:*:*:alias/ami-guard-*`,
      Condition: outside,
    },
    {
      Sid: "DenyRemovingDeregistrationProtection",
      Effect: "Deny",
      Action: "ec2:DisableImageDeregistrationProtection",
      Resource: "*",
      Condition: outside,
    },
    {
      Sid: "DenyChangingRecycleBinRules",
      Effect: "Deny",
      Action: RECYCLE_BIN_TAMPER_ACTIONS,
      Resource: "*",
      Condition: outside,
    },
    ...denyTagKeys("DenyProvenanceTags", PROVENANCE_TAGS, outside),
    ...denyTagKeys("DenyApprovalOutsidePublishers", [APPROVAL_TAG], {
      ArnNotLike: {
        "aws:PrincipalArn": [
          ...exemptPrincipalArns,
          `arn:${partition}:iam::*:role${ROLE_PATH}ami-guard-*-publisher`,
        ],
      },
    }),
  ]);
}
