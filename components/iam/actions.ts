/**
 * The action lists the documents use, named. No list allows a wildcard action; `*` resources appear only with
 * actions that support no resource-level permissions (Describe/Get/List and the build host's agent calls).
 */

/** Writing or removing tags on EC2 resources. */
export const TAG_ACTIONS = ["ec2:CreateTags", "ec2:DeleteTags"];

/** Tag-writing actions on creation: the `aws:TagKeys` of each carries every tag the request writes. */
export const TAG_WRITING_ACTIONS = [
  "ec2:CreateImage",
  "ec2:CopyImage",
  "ec2:RegisterImage",
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
  "ec2:CreateTags",
  "ec2:DeleteTags",
  "ec2:RunInstances",
];

/** Actions that make or change images; only the builder may make them, nobody but the publisher may share. */
export const IMAGE_CREATE_ACTIONS = [
  "ec2:CreateImage",
  "ec2:CopyImage",
  "ec2:RegisterImage",
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
];
/** The `ec2:CreateAction` values of {@link IMAGE_CREATE_ACTIONS} (tags written on create). */
export const IMAGE_CREATE_API_NAMES = IMAGE_CREATE_ACTIONS.map((a) => a.replace(/^ec2:/, ""));
/** Making an image or a snapshot from an instance or a volume. */
export const IMAGE_FROM_INSTANCE_ACTIONS = ["ec2:CreateImage", "ec2:CreateSnapshot", "ec2:CreateSnapshots"];
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
/** Changing an image's launch permissions. */
export const IMAGE_SHARING_ACTIONS = ["ec2:ModifyImageAttribute", "ec2:ResetImageAttribute"];
/** Reading an image's and a snapshot's sharing. */
export const SHARING_READ_ACTIONS = ["ec2:DescribeImageAttribute", "ec2:DescribeSnapshotAttribute"];
/** Resolving AMI ids from SSM parameters (`resolve:ssm:`). */
export const AMI_PARAMETER_READ_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters"];

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
/** Moving a key alias. */
export const KEY_ALIAS_ACTIONS = ["kms:DeleteAlias", "kms:UpdateAlias", "kms:CreateAlias"];
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
/** Changing a role's permissions or trust: denied by the boundary whatever policy is attached later. */
export const IAM_ROLE_CHANGE_ACTIONS = [
  "iam:PutRolePolicy",
  "iam:AttachRolePolicy",
  "iam:DeleteRolePermissionsBoundary",
  "iam:UpdateAssumeRolePolicy",
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
/** Using the AMI key through EC2 (launching and copying encrypted images, creating encrypted volumes). */
export const KMS_EC2_USE_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];
/** What CloudWatch Logs does with the key of an encrypted log group. */
export const KMS_LOGS_USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:DescribeKey",
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

/** The builder's reads (no resource-level permissions). */
export const BUILDER_READ_ACTIONS = [
  "ec2:DescribeImages",
  "ec2:DescribeSnapshots",
  "ec2:DescribeInstances",
  "ec2:DescribeVolumes",
  "ec2:DescribeTags",
];

/** Build host: what an EC2 Image Builder instance needs (SSM agent, components, build logs). */
export const BUILD_HOST_AGENT_ACTIONS = [
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
/** The build host's SSM documents, parameters and associations (resource-scoped). */
export const BUILD_HOST_DOCUMENT_ACTIONS = [
  "ssm:GetDocument",
  "ssm:DescribeDocument",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:UpdateAssociationStatus",
  "ssm:UpdateInstanceAssociationStatus",
];
/** The build host's logs. */
export const BUILD_HOST_LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"];
/** Writing to a log group's streams. */
export const LOG_WRITE_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"];

/** The deployer's reads (no resource-level permissions). */
export const DEPLOYER_READ_ACTIONS = [
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
];
/** Rolling a fleet out (instance refresh, capacity). */
export const FLEET_ROLLOUT_ACTIONS = [
  "autoscaling:StartInstanceRefresh",
  "autoscaling:CancelInstanceRefresh",
  "autoscaling:RollbackInstanceRefresh",
  "autoscaling:UpdateAutoScalingGroup",
  "autoscaling:SetDesiredCapacity",
];
/** Writing launch templates or launch configurations: never the deployer's. */
export const LAUNCH_TEMPLATE_WRITE_ACTIONS = [
  "ec2:CreateLaunchTemplate",
  "ec2:CreateLaunchTemplateVersion",
  "ec2:ModifyLaunchTemplate",
  "autoscaling:CreateLaunchConfiguration",
];
/** Creating or updating an Auto Scaling group. */
export const GROUP_WRITE_ACTIONS = [
  "autoscaling:CreateAutoScalingGroup",
  "autoscaling:UpdateAutoScalingGroup",
];

/**
 * Every read `ami-guard audit` makes that takes no resource ARN (src/audit/aws.ts and src/audit/scope.ts): the
 * audit command's policy and the auditor function's.
 */
export const AUDIT_READ_ACTIONS = [
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
];
/** Reading a trail's status and event selectors. */
export const TRAIL_STATUS_READ_ACTIONS = ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"];
/** The auditor role's reads beyond the audit command's (no resource-level permissions). */
export const AUDITOR_ESTATE_READ_ACTIONS = [
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
];
/** The auditor role's reads of AMI Guard's own resources (resource-scoped). */
export const AUDITOR_RESOURCE_READ_ACTIONS = [
  "ec2:DescribeSnapshotAttribute",
  "cloudwatch:DescribeAlarms",
  "imagebuilder:GetImage",
  "imagebuilder:GetImagePipeline",
  "rbin:GetRule",
];
export const KEY_READ_ACTIONS = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"];
export const TRAIL_FILE_READ_ACTIONS = ["s3:GetObject", "s3:ListBucket"];
export const TRAIL_LOG_READ_ACTIONS = [
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:DescribeLogStreams",
];

/** The only actions the owner read role may ever perform. */
export const OWNER_READ_ACTIONS = ["ec2:DescribeImageAttribute", "ec2:DescribeImages"] as const;

/** Writing, overwriting or deleting trail files: CloudTrail's alone. */
export const TRAIL_FILE_WRITE_ACTIONS = [
  "s3:PutObject",
  "s3:PutObjectAcl",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
];
