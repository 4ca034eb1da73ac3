/**
 * The four roles of the AMI lifecycle (builder, publisher, deployer, auditor): their inline policies and trust,
 * the audit command's policy (the auditor role's first statements), and the Image Builder lifecycle role's
 * trust. Proven by simulation in tests/iam.
 */
import {
  AMI_PARAMETER_READ_ACTIONS,
  AUDIT_READ_ACTIONS,
  AUDITOR_ESTATE_READ_ACTIONS,
  AUDITOR_RESOURCE_READ_ACTIONS,
  BUILD_HOST_AGENT_ACTIONS,
  BUILD_HOST_DOCUMENT_ACTIONS,
  BUILD_HOST_LOG_ACTIONS,
  BUILDER_READ_ACTIONS,
  DEPLOYER_READ_ACTIONS,
  FLEET_ROLLOUT_ACTIONS,
  GROUP_WRITE_ACTIONS,
  IMAGE_CHANGE_ACTIONS,
  IMAGE_CREATE_ACTIONS,
  IMAGE_CREATE_API_NAMES,
  IMAGE_FROM_INSTANCE_ACTIONS,
  IMAGE_SHARING_ACTIONS,
  KEY_READ_ACTIONS,
  LAUNCH_TEMPLATE_WRITE_ACTIONS,
  SHARING_READ_ACTIONS,
  TAG_ACTIONS,
  TRAIL_FILE_READ_ACTIONS,
  TRAIL_LOG_READ_ACTIONS,
  TRAIL_STATUS_READ_ACTIONS,
} from "./actions";
import {
  accountArn,
  alarmArns,
  amiParameterArns,
  anyRegionImageArns,
  anyRegionSnapshotArns,
  arn,
  ec2ResourceArns,
  imageArns,
  snapshotArns,
} from "./arns";
import { APPROVAL_TAG, BUILD_INSTANCE_TAG, PROVENANCE_TAGS } from "./naming";
import {
  assumeRoleStatement,
  denyTagKeys,
  neverRetagImages,
  snapshotSharingDenies,
  useKeyViaEc2,
} from "./statements";
import {
  policyDocument,
  type AccountContext,
  type PolicyDocument,
  type PolicyStatement,
  type SharingTargets,
} from "./types";

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
  return policyDocument([
    { Sid: "ReadImages", Effect: "Allow", Action: BUILDER_READ_ACTIONS, Resource: "*" },
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
      Action: IMAGE_FROM_INSTANCE_ACTIONS,
      Resource: [ec2ResourceArns(ctx, "instance"), ec2ResourceArns(ctx, "volume")],
      Condition: { StringEquals: { [`aws:ResourceTag/${BUILD_INSTANCE_TAG}`]: ctx.environment } },
    },
    {
      Sid: "TagImagesOnlyOnCreate",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: [imageArns(ctx), snapshotArns(ctx)],
      Condition: { StringEquals: { "ec2:CreateAction": IMAGE_CREATE_API_NAMES } },
    },
    ...useKeyViaEc2(ctx, keyArn),
    { Sid: "BuildHostAgent", Effect: "Allow", Action: BUILD_HOST_AGENT_ACTIONS, Resource: "*" },
    {
      Sid: "BuildHostAgentDocuments",
      Effect: "Allow",
      Action: BUILD_HOST_DOCUMENT_ACTIONS,
      Resource: [
        arn(p, "ssm", ctx.region, "", "document/*"),
        accountArn(ctx, "ssm", "document/*"),
        arn(p, "ssm", ctx.region, "", "parameter/aws/*"),
        accountArn(ctx, "ssm", "association/*"),
        ec2ResourceArns(ctx, "instance"),
      ],
    },
    {
      Sid: "BuildHostComponents",
      Effect: "Allow",
      Action: "imagebuilder:GetComponent",
      Resource: [
        arn(p, "imagebuilder", ctx.region, "aws", "component/*"),
        accountArn(ctx, "imagebuilder", "component/*"),
      ],
    },
    {
      Sid: "BuildHostComponentArtifacts",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: arn(p, "s3", "", "", "ec2imagebuilder*"),
    },
    {
      Sid: "BuildHostLogs",
      Effect: "Allow",
      Action: BUILD_HOST_LOG_ACTIONS,
      Resource: accountArn(ctx, "logs", "log-group:/aws/imagebuilder/*"),
    },
    { Sid: "BuilderNeverSharesOrDeletes", Effect: "Deny", Action: IMAGE_CHANGE_ACTIONS, Resource: "*" },
    {
      Sid: "BuilderNeverRetags",
      Effect: "Deny",
      Action: TAG_ACTIONS,
      Resource: [anyRegionImageArns(p), anyRegionSnapshotArns(p)],
      Condition: { Null: { "ec2:CreateAction": "true" } },
    },
    ...denyTagKeys("BuilderNeverApprovesOrForgesProvenance", [APPROVAL_TAG, ...PROVENANCE_TAGS]),
    {
      Sid: "CopyOnlyOwnOrAmazonImages",
      Effect: "Deny",
      Action: "ec2:CopyImage",
      Resource: anyRegionImageArns(p),
      Condition: {
        StringNotEquals: { "ec2:Owner": [ctx.accountId, "amazon"] },
        Null: { "ec2:Owner": "false" },
      },
    },
    {
      Sid: "RegisterOnlyFromOwnSnapshots",
      Effect: "Deny",
      Action: "ec2:RegisterImage",
      Resource: anyRegionSnapshotArns(p),
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
 * ({@link snapshotSharingDenies}: `ec2:Add/userId`, `ec2:Add/group`), which IAM does evaluate.
 */
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
      Action: SHARING_READ_ACTIONS,
      Resource: [imageArns(ctx), snapshotArns(ctx)],
    },
    {
      Sid: "ShareOwnApprovedImages",
      Effect: "Allow",
      Action: IMAGE_SHARING_ACTIONS,
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
    Action: TAG_ACTIONS,
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
      Action: TAG_ACTIONS,
      Resource: "*",
      Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": [APPROVAL_TAG] } },
    },
    {
      Sid: "PublisherNeverTagsWithoutNamingTheKey",
      Effect: "Deny",
      Action: TAG_ACTIONS,
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
  return policyDocument(statements);
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
 *
 * `sharedImageOwners` (a workload account's `ownerReadRoles`: owner account id → the owner read role there)
 * lets it launch the golden images those accounts share with it and lets the policy pack it runs assume their
 * read roles. A shared image's tags are not visible in this account, so IAM cannot ask for `Approved=true` on
 * it: approval is the owner's publisher's (who shares only approved images) and the pack's (which reads the
 * owner's tags through the read role).
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
  return policyDocument([
    { Sid: "ReadFleet", Effect: "Allow", Action: DEPLOYER_READ_ACTIONS, Resource: "*" },
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
      Resource: ec2ResourceArns(ctx, "instance"),
      Condition: { StringEquals: { "ec2:MetadataHttpTokens": "required" } },
    },
    {
      Sid: "LaunchEncryptedVolumes",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: ec2ResourceArns(ctx, "volume"),
      Condition: { Bool: { "ec2:Encrypted": "true" } },
    },
    {
      Sid: "LaunchIntoNetwork",
      Effect: "Allow",
      Action: "ec2:RunInstances",
      Resource: ["network-interface", "security-group", "subnet", "launch-template"].map((t) =>
        ec2ResourceArns(ctx, t),
      ),
    },
    {
      Sid: "TagOnLaunch",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: ["instance", "volume", "network-interface"].map((t) => ec2ResourceArns(ctx, t)),
      Condition: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
    },
    {
      Sid: "RollOutFleets",
      Effect: "Allow",
      Action: FLEET_ROLLOUT_ACTIONS,
      Resource: accountArn(ctx, "autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
      Condition: { StringEquals: { "aws:ResourceTag/Environment": ctx.environment } },
    },
    {
      Sid: "PolicyPackReadsImageFacts",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: anyRegionImageArns(ctx.partition),
    },
    {
      Sid: "PolicyPackResolvesAmiParameters",
      Effect: "Allow",
      Action: AMI_PARAMETER_READ_ACTIONS,
      Resource: amiParameterArns(ctx.partition, ctx.accountId),
    },
    ...useKeyViaEc2(ctx, keyArn),
    {
      Sid: "NeverWritesLaunchTemplates",
      Effect: "Deny",
      Action: LAUNCH_TEMPLATE_WRITE_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "GroupsPinALaunchTemplateVersion",
      Effect: "Deny",
      Action: GROUP_WRITE_ACTIONS,
      Resource: "*",
      Condition: { Bool: { "autoscaling:LaunchTemplateVersionSpecified": "false" } },
    },
    {
      Sid: "GroupsNeverUseLaunchConfigurations",
      Effect: "Deny",
      Action: GROUP_WRITE_ACTIONS,
      Resource: "*",
      Condition: { Null: { "autoscaling:LaunchConfigurationName": "false" } },
    },
    {
      Sid: "NeverLaunchUnapprovedImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: anyRegionImageArns(ctx.partition),
      Condition: {
        StringNotEquals: { "ec2:ResourceTag/Approved": "true" },
        StringEquals: { "ec2:Owner": ctx.accountId },
      },
    },
    {
      Sid: "NeverLaunchForeignImages",
      Effect: "Deny",
      Action: "ec2:RunInstances",
      Resource: anyRegionImageArns(ctx.partition),
      Condition: { StringNotEquals: { "ec2:Owner": [ctx.accountId, ...owners] } },
    },
    {
      Sid: "DeployerNeverMakesOrChangesImages",
      Effect: "Deny",
      Action: [...IMAGE_CREATE_ACTIONS, ...IMAGE_CHANGE_ACTIONS],
      Resource: "*",
    },
    neverRetagImages("DeployerNeverRetagsImages", ctx.partition),
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
    { Sid: "AmiGuardAuditReads", Effect: "Allow", Action: AUDIT_READ_ACTIONS, Resource: "*" },
    {
      Sid: "AmiGuardAuditImageSharing",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: anyRegionImageArns(partition),
    },
    {
      Sid: "AmiGuardAuditAmiParameters",
      Effect: "Allow",
      Action: AMI_PARAMETER_READ_ACTIONS,
      Resource: amiParameterArns(partition, accountId),
    },
    {
      Sid: "AmiGuardAuditTrails",
      Effect: "Allow",
      Action: TRAIL_STATUS_READ_ACTIONS,
      Resource: arn(partition, "cloudtrail", "*", "*", "trail/*"),
    },
  ];
}

/** The policy docs/audit.md documents for the role `ami-guard audit --role-arn` assumes, in any account. */
export function auditCommandPolicy(partition: string): PolicyDocument {
  return policyDocument(auditCommandStatements(partition));
}

/**
 * Auditor: read-only over images, guardrails, fleets, findings and the trail's logs. Its first statements are
 * exactly what `ami-guard audit` needs ({@link auditCommandStatements}), in every region.
 */
export function auditorPolicy(
  ctx: AccountContext,
  audit: { trailBucketArn: string; trailLogGroupArn: string },
): PolicyDocument {
  return policyDocument([
    ...auditCommandStatements(ctx.partition),
    { Sid: "ReadAmiEstate", Effect: "Allow", Action: AUDITOR_ESTATE_READ_ACTIONS, Resource: "*" },
    {
      Sid: "ReadAmiGuardResources",
      Effect: "Allow",
      Action: AUDITOR_RESOURCE_READ_ACTIONS,
      Resource: [
        anyRegionSnapshotArns(ctx.partition),
        alarmArns(ctx),
        accountArn(ctx, "imagebuilder", "image/*"),
        accountArn(ctx, "imagebuilder", "image-pipeline/*"),
        accountArn(ctx, "rbin", "rule/*"),
      ],
    },
    {
      Sid: "ReadKeys",
      Effect: "Allow",
      Action: KEY_READ_ACTIONS,
      Resource: accountArn(ctx, "kms", "key/*"),
    },
    {
      Sid: "ReadTrailLogs",
      Effect: "Allow",
      Action: TRAIL_FILE_READ_ACTIONS,
      Resource: [audit.trailBucketArn, `${audit.trailBucketArn}/*`],
    },
    {
      Sid: "ReadTrailLogGroup",
      Effect: "Allow",
      Action: TRAIL_LOG_READ_ACTIONS,
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
    statements.push(assumeRoleStatement("ConfiguredPrincipals", { AWS: [...principalArns] }));
  }
  if (services.length > 0) {
    if (!sourceAccount) throw new Error("a service principal's trust needs the source account");
    statements.push(
      assumeRoleStatement(
        "Services",
        { Service: [...services] },
        { StringEquals: { "aws:SourceAccount": sourceAccount } },
      ),
    );
  }
  return policyDocument(statements);
}

/** Trust of the Image Builder lifecycle execution role: Image Builder, for this account's lifecycle policies. */
export function imageBuilderLifecycleTrustPolicy(ctx: AccountContext): PolicyDocument {
  return policyDocument([
    assumeRoleStatement(
      "ImageBuilderLifecyclePoliciesOfThisAccount",
      { Service: "imagebuilder.amazonaws.com" },
      {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: { "aws:SourceArn": accountArn(ctx, "imagebuilder", "lifecycle-policy/*") },
      },
    ),
  ]);
}
