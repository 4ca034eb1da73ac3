/**
 * AMI Guard: the guardrails of the AMI lifecycle, composed per environment. Configuration is validated first
 * (a bad value stops here, naming the key and the stack file, before any resource is declared); then the
 * components are composed and their outputs exported. Per-environment differences live only in
 * stacks/Pulumi.<stack>.yaml.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountGuardrails } from "./components/account-guardrails";
import { AmiAuditor, auditorBundlePath } from "./components/ami-auditor";
import { AmiActivityAlarms } from "./components/ami-activity-alarms";
import { AmiEncryptionKey } from "./components/ami-encryption-key";
import { AmiIamRoles } from "./components/ami-iam-roles";
import { AmiOwnerReadRole } from "./components/ami-owner-read-role";
import { AmiScanning } from "./components/ami-scanning";
import { AuditTrail } from "./components/audit-trail";
import { GoldenImagePipeline } from "./components/golden-image-pipeline";
import { ImmutableFleet } from "./components/immutable-fleet";
import { OrganizationGuardrails } from "./components/organization-guardrails";
import { MANAGED_BY, type AccountContext } from "./components/iam";
import { loadConfig } from "./config";
import { packSettingsOf } from "./config/pack-settings";

const config = loadConfig();

const identity = aws.getCallerIdentityOutput();
const partition = aws.getPartitionOutput().partition;
const accountId = identity.accountId;
const account: pulumi.Output<AccountContext> = pulumi.all([partition, accountId]).apply(([p, id]) => ({
  partition: p,
  accountId: id,
  region: config.region,
  environment: config.environment,
}));
const tags = { ManagedBy: MANAGED_BY, Environment: config.environment, Stack: config.stack };

const key = new AmiEncryptionKey("ami-key", {
  account,
  environment: config.environment,
  sharing: config.sharing,
  deletionWindowDays: config.key.deletionWindowDays,
  grantToAutoScaling: true,
  createAutoScalingServiceLinkedRole: config.key.createAutoScalingServiceLinkedRole,
  tags,
});

const audit = new AuditTrail("audit", {
  account,
  environment: config.environment,
  logRetentionDays: config.audit.logRetentionDays,
  bucketRetentionDays: config.audit.trailBucketRetentionDays,
  keyDeletionWindowDays: config.key.deletionWindowDays,
  tags,
});

const roles = new AmiIamRoles("roles", {
  account,
  environment: config.environment,
  keyArn: key.keyArn,
  trailBucketArn: audit.bucketArn,
  trailLogGroupArn: audit.logGroupArn,
  sharing: config.sharing,
  trustedPrincipals: {
    builder: config.roles.builderPrincipalArns,
    publisher: config.roles.publisherPrincipalArns,
    deployer: config.roles.deployerPrincipalArns,
    auditor: config.roles.auditorPrincipalArns,
  },
  sharedImageOwners: config.estate.ownerReadRoles,
  maxSessionDurationSeconds: 3600,
  tags,
});

const organization = config.scp.enabled
  ? new OrganizationGuardrails("org-guardrails", {
      partition,
      environment: config.environment,
      targetIds: config.scp.targetIds,
      tags,
    })
  : undefined;

const alarms = new AmiActivityAlarms("alarms", {
  account,
  environment: config.environment,
  logGroupName: audit.logGroupName,
  amiKeyArn: key.keyArn,
  topicKeyArn: audit.keyArn,
  emails: config.alarms.emails,
  tags,
});

new AmiScanning("scanning", {
  accountId,
  resourceTypes: config.scanning.resourceTypes,
  delegatedAdminAccountId: config.scanning.delegatedAdminAccountId,
  organizationAutoEnable: config.scanning.orgAutoEnable,
});

const guardrails = new AccountGuardrails("guardrails", {
  accountId,
  allowedImagesState: config.guardrails.allowedImagesState,
  allowedImageProviders: config.guardrails.allowedImageProviders,
  maxImageAgeDays: config.ami.maxAgeDays,
  snapshotBlockPublicAccessState: config.guardrails.snapshotBlockPublicAccessState,
  recycleBinRetentionDays: config.guardrails.recycleBinRetentionDays,
  tags,
});

// What the account is in the estate decides what it composes (accountRole in the stack file).
const pipeline = config.pipeline
  ? new GoldenImagePipeline(
      "golden-image",
      {
        region: config.region,
        partition,
        accountId,
        environment: config.environment,
        parentImage: config.pipeline.parentImage,
        recipeVersion: config.pipeline.recipeVersion,
        components: config.pipeline.recipeComponents,
        rootDeviceName: config.ami.rootDeviceName,
        rootVolumeSizeGiB: config.ami.rootVolumeSizeGiB,
        keyArn: key.keyArn,
        instanceProfileName: roles.builderInstanceProfileName,
        instanceTypes: config.pipeline.builderInstanceTypes,
        sharing: config.sharing,
        approvedTag: config.pipeline.approvedTag,
        scheduleExpression: config.pipeline.scheduleExpression,
        deprecateAfterDays: config.pipeline.deprecateAfterDays,
        tags,
      },
      { dependsOn: [key, guardrails] },
    )
  : undefined;

const fleetConfig = config.fleet;
const fleet = fleetConfig
  ? new ImmutableFleet(
      "fleet",
      {
        environment: config.environment,
        imageId: fleetConfig.ami.kind === "image" ? fleetConfig.ami.imageId : pipeline!.imageId,
        keyArn: key.keyArn,
        instanceType: fleetConfig.instanceType,
        rootDeviceName: config.ami.rootDeviceName,
        rootVolumeSizeGiB: config.ami.rootVolumeSizeGiB,
        minSize: fleetConfig.minSize,
        maxSize: fleetConfig.maxSize,
        desiredCapacity: fleetConfig.desiredCapacity,
        subnetIds: fleetConfig.subnetIds,
        availabilityZones: fleetConfig.availabilityZones,
        securityGroupIds: fleetConfig.securityGroupIds,
        minHealthyPercentage: fleetConfig.minHealthyPercentage,
        tags,
      },
      { dependsOn: [key] },
    )
  : undefined;

// The image-build account lets the organisation's deployers read its images' tags and launch permissions.
const ownerRead = config.estate.ownerReadRole
  ? new AmiOwnerReadRole("owner-read", { partition, trust: config.estate.ownerReadRole, tags })
  : undefined;

const auditor = new AmiAuditor("auditor", {
  account,
  environment: config.environment,
  handlerFile: auditorBundlePath(),
  policyConfig: JSON.stringify(
    packSettingsOf(config, new pulumi.Config("aws").getObject<string[]>("allowedAccountIds") ?? []),
  ),
  regions: config.auditor.regions,
  scheduleExpression: config.auditor.scheduleExpression,
  remediate: config.auditor.remediate,
  enableSecurityHub: config.auditor.enableSecurityHub,
  alarmTopicArn: alarms.topicArn,
  topicKeyArn: audit.keyArn,
  logKeyArn: audit.keyArn,
  logRetentionDays: config.audit.logRetentionDays,
  sharing: config.sharing,
  tags,
});

export const environment = config.environment;
export const region = config.region;
export const amiKeyArn = key.keyArn;
export const amiKeyAlias = key.aliasName;
export const roleArns = roles.roleArns;
export const permissionsBoundaryArn = roles.boundaryArn;
export const trailArn = audit.trailArn;
export const trailBucketName = audit.bucketName;
export const trailLogGroupName = audit.logGroupName;
export const alarmTopicArn = alarms.topicArn;
export const allowedImagesState = guardrails.allowedImagesState;
export const accountRole = config.estate.role;
export const imagePipelineArn = pipeline?.pipelineArn;
export const goldenImageId = pipeline?.imageId;
export const goldenImageDeprecationTime = pipeline?.deprecationTime;
export const fleetImageId = fleet?.imageId;
export const fleetAutoScalingGroupName = fleet?.autoScalingGroupName;
export const ownerReadRoleArn = ownerRead?.roleArn;
export const organizationPolicyId = organization?.policyId;
export const auditorFunctionName = auditor.functionName;
export const auditorDeadLetterQueueUrl = auditor.deadLetterQueueUrl;
