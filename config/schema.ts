/**
 * THE table of the program's stack config: one row per key of the `ami-guard` namespace (type, constraint,
 * default, description, secret or not, practice, which account roles read it). Everything else derives from
 * it: the value types ({@link ConfigValues}), the per-key parser (config/parse.ts), the `Pulumi.yaml`
 * `config:` block and docs/configuration.md (config/docs.ts; `npm run docs:config` writes both, a test
 * fails when either is stale). Rules across keys are the {@link REFINEMENTS} the parser runs afterwards.
 *
 * A row with a `default` is declared in `Pulumi.yaml` (the engine fills it in when the stack file leaves
 * the key out); every other key must be set in each stack file whose role reads it.
 */
import {
  ACCOUNT_ID,
  ACCOUNT_OR_ALIAS,
  AMI_ID,
  ORGANIZATION_ARN_PATTERN,
  OU_ARN_PATTERN,
  REGION,
} from "ami-guard-policies/rules/patterns";
import { ESTATE_KEYS, orgPathsProblem } from "./estate";
import type { KeySpec, ParsedValueOf, Scope } from "./spec";

/** The config namespace of this project (the `name` in Pulumi.yaml). */
export const NAMESPACE = "ami-guard";

/** Keys of the image pipeline: the workload accounts build nothing. */
export const PIPELINE: Scope = { roles: ["standalone", "image-build"], why: "it builds no images" };
/** Keys of the fleet: the image-build account launches nothing. */
export const FLEET: Scope = {
  roles: ["standalone", "workload"],
  why: "the workload accounts launch the images it shares",
};

const ORG_ARN = new RegExp(ORGANIZATION_ARN_PATTERN);
const OU_ARN = new RegExp(OU_ARN_PATTERN);
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INSTANCE_TYPE = { test: /^[a-z0-9-]+\.[a-z0-9]+$/, what: "an instance type" } as const;
const PRINCIPAL = {
  type: "list",
  item: { test: PRINCIPAL_ARN, what: "an IAM role or user ARN (never the account root)" },
  nonEmpty: true,
  practice: 2,
  secret: false,
} as const;

export const CONFIG_SCHEMA = {
  environment: {
    type: "string",
    valid: { test: /^[a-z][a-z0-9-]{1,15}$/, what: "a lower-case label (2-16 chars)" },
    practice: 5,
    secret: false,
    description: "Environment label: the `Environment` tag on every resource and on every AMI made.",
  },
  ...ESTATE_KEYS,
  parentImage: {
    type: "string",
    valid: {
      test: /^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:aws:image\/[a-z0-9-]+\/(x\.x\.x|[0-9]+\.x\.x|[0-9]+\.[0-9]+\.x)$/,
      what:
        "an Image Builder managed image ARN owned by aws with a semantic-version wildcard " +
        "(arn:aws:imagebuilder:<region>:aws:image/<name>/x.x.x)",
    },
    scope: PIPELINE,
    practice: 1,
    secret: false,
    description: "Image Builder managed parent image owned by `aws`, in aws:region, with a version wildcard.",
  },
  recipeVersion: {
    type: "string",
    valid: { test: /^[0-9]+\.[0-9]+\.[0-9]+$/, what: "a semantic version x.y.z" },
    scope: PIPELINE,
    practice: 5,
    secret: false,
    description: "Image recipe semantic version (x.y.z); also the AMI `Version` tag.",
  },
  recipeComponents: {
    type: "list",
    item: { test: /^[a-z0-9][a-z0-9-]{0,126}$/, what: "an AWS-managed Image Builder component name" },
    nonEmpty: true,
    default: ["update-linux"],
    scope: PIPELINE,
    practice: 4,
    secret: false,
    description: "AWS-managed Image Builder components run by the recipe.",
  },
  rootDeviceName: {
    type: "string",
    valid: { test: /^\/dev\/(xvd|sd|nvme)[a-z0-9]{1,4}$/, what: "a device name like /dev/xvda" },
    default: "/dev/xvda",
    secret: false,
    description: "Root device of the parent image (and of the fleet's launch template).",
  },
  rootVolumeSizeGiB: {
    type: "integer",
    min: 1,
    max: 16384,
    default: 20,
    secret: false,
    description: "Root volume size of built images and fleet instances, GiB.",
  },
  builderInstanceTypes: {
    type: "list",
    item: INSTANCE_TYPE,
    nonEmpty: true,
    default: ["m7i.large", "m6i.large"],
    scope: PIPELINE,
    secret: false,
    description: "Instance types Image Builder may build on.",
  },
  patchCadenceDays: {
    type: "integer",
    min: 1,
    max: 31,
    scope: PIPELINE,
    practice: 4,
    secret: false,
    description:
      "Days between scheduled rebuilds (the pipeline's cron); AMIs are deprecated after two cadences.",
  },
  amiMaxAgeDays: {
    type: "integer",
    min: 1,
    max: 3650,
    practice: 4,
    secret: false,
    description: "Maximum AMI age: the Allowed AMIs creation-date criterion and the pack's maxAgeDays.",
  },
  amiApprovedTag: {
    type: "enum",
    values: ["true", "false"],
    scope: PIPELINE,
    practice: 5,
    secret: false,
    description: "Value of the `Approved` tag on the AMIs the pipeline distributes.",
  },
  fleetAmi: {
    type: "string",
    valid: {
      test: (v) => v === "pipeline" || AMI_ID.test(v),
      what: "`pipeline` or an AMI id (ami- + 8 or 17 hex digits)",
    },
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "`pipeline` (the image this stack's own pipeline builds) or an AMI id.",
  },
  fleetInstanceType: {
    type: "string",
    valid: INSTANCE_TYPE,
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Fleet instance type.",
  },
  fleetMinSize: {
    type: "integer",
    min: 0,
    max: 1000,
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Auto Scaling group minimum size.",
  },
  fleetMaxSize: {
    type: "integer",
    min: 1,
    max: 1000,
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Auto Scaling group maximum size.",
  },
  fleetDesiredCapacity: {
    type: "integer",
    min: 0,
    max: 1000,
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Auto Scaling group desired capacity.",
  },
  fleetSubnetIds: {
    type: "list",
    item: { test: /^subnet-[0-9a-f]{8,17}$/, what: "a subnet id" },
    default: [],
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Subnets of the fleet; empty: the default VPC in fleetAvailabilityZones.",
  },
  fleetAvailabilityZones: {
    type: "list",
    item: { test: /^[a-z0-9-]+[a-z]$/, what: "an Availability Zone" },
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Availability Zones of aws:region for the fleet when no subnets are given.",
  },
  fleetSecurityGroupIds: {
    type: "list",
    item: { test: /^sg-[0-9a-f]{8,17}$/, what: "a security group id" },
    default: [],
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Security groups of the fleet's network interface; empty: the VPC's default group.",
  },
  fleetMinHealthyPercentage: {
    type: "integer",
    min: 0,
    max: 100,
    scope: FLEET,
    practice: 9,
    secret: false,
    description: "Instance refresh minimum healthy percentage.",
  },
  allowedImagesState: {
    type: "enum",
    values: ["audit-mode", "enabled"],
    practice: 1,
    secret: false,
    description: "EC2 Allowed AMIs state (`disabled` is not offered).",
  },
  allowedImageProviders: {
    type: "list",
    item: {
      test: ACCOUNT_OR_ALIAS,
      what: "an account id, amazon, aws-marketplace or aws-backup-vault",
    },
    mustInclude: { item: "amazon", because: "the pipeline's parent images are owned by AWS" },
    practice: 1,
    secret: false,
    description: "Allowed AMIs image providers besides this account (always added).",
  },
  snapshotBlockPublicAccessState: {
    type: "enum",
    values: ["block-all-sharing", "block-new-sharing"],
    default: "block-all-sharing",
    practice: 6,
    secret: false,
    description: "EBS snapshot block public access state.",
  },
  recycleBinRetentionDays: {
    type: "integer",
    min: 1,
    max: 365,
    practice: 9,
    secret: false,
    description: "Days a deregistered AMI (and a deleted snapshot) stays restorable from the Recycle Bin.",
  },
  logRetentionDays: {
    type: "integer",
    min: 1,
    max: 3653,
    allowed: {
      values: [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
        3653,
      ],
      what: "a CloudWatch Logs retention value",
    },
    practice: 7,
    secret: false,
    description: "CloudWatch Logs retention of the trail's log group, days.",
  },
  trailBucketRetentionDays: {
    type: "integer",
    min: 1,
    max: 3650,
    practice: 7,
    secret: false,
    description: "Days the trail's log files are kept in S3.",
  },
  alarmEmails: {
    type: "list",
    item: { test: EMAIL, what: "an email address" },
    nonEmpty: true,
    practice: 7,
    secret: false,
    description: "Email subscribers of the alarm topic.",
  },
  sharingAccountIds: {
    type: "list",
    item: { test: ACCOUNT_ID, what: "a 12-digit account id" },
    practice: 6,
    secret: false,
    description: "Accounts AMIs may be shared with.",
  },
  sharingOrganizationArns: {
    type: "list",
    item: { test: ORG_ARN, what: "an organization ARN" },
    practice: 6,
    secret: false,
    description: "Organizations AMIs may be shared with.",
  },
  sharingOrganizationalUnitArns: {
    type: "list",
    item: { test: OU_ARN, what: "an OU ARN" },
    practice: 6,
    secret: false,
    description: "Organizational units AMIs may be shared with.",
  },
  builderPrincipalArns: { ...PRINCIPAL, description: "IAM principals that may assume the builder role." },
  publisherPrincipalArns: { ...PRINCIPAL, description: "IAM principals that may assume the publisher role." },
  deployerPrincipalArns: { ...PRINCIPAL, description: "IAM principals that may assume the deployer role." },
  auditorPrincipalArns: { ...PRINCIPAL, description: "IAM principals that may assume the auditor role." },
  kmsDeletionWindowDays: {
    type: "integer",
    min: 7,
    max: 30,
    default: 30,
    practice: 3,
    secret: false,
    description: "Waiting period before a KMS key scheduled for deletion is deleted, days.",
  },
  createAutoScalingServiceLinkedRole: {
    type: "boolean",
    default: false,
    practice: 3,
    secret: false,
    description: "Create AWSServiceRoleForAutoScaling (false when the account already has it).",
  },
  inspectorResourceTypes: {
    type: "list",
    item: { test: (v) => v === "EC2" || v === "ECR", what: "EC2 or ECR" },
    values: ["EC2", "ECR"],
    nonEmpty: true,
    mustInclude: { item: "EC2", because: "AMIs are scanned on EC2" },
    default: ["EC2"],
    practice: 8,
    secret: false,
    description: "Inspector v2 resource types scanned (EC2 required, ECR optional).",
  },
  inspectorDelegatedAdminAccountId: {
    type: "string",
    valid: { test: (v) => v === "none" || ACCOUNT_ID.test(v), what: "`none` or a 12-digit account id" },
    default: "none",
    practice: 8,
    secret: false,
    description:
      "Account made Inspector delegated administrator (run from the management account), or `none`.",
  },
  inspectorOrgAutoEnable: {
    type: "boolean",
    default: false,
    practice: 8,
    secret: false,
    description: "Auto-enable Inspector for new organisation members (run from the delegated administrator).",
  },
  scpEnabled: {
    type: "boolean",
    default: false,
    practice: 2,
    secret: false,
    description: "Create and attach the AMI guardrail service control policy.",
  },
  scpTargetIds: {
    type: "list",
    item: {
      test: (v) =>
        ACCOUNT_ID.test(v) || /^r-[0-9a-z]{4,32}$/.test(v) || /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(v),
      what: "an organization root (r-…), OU (ou-…) or account id",
    },
    default: [],
    practice: 2,
    secret: false,
    description: "Organization root, OU or account ids the SCP is attached to.",
  },
  auditorScheduleExpression: {
    type: "string",
    valid: {
      test: (v) =>
        /^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$/.test(v) ||
        /^cron\(([^\s()]+ ){5}[^\s()]+\)$/.test(v),
      what: "an EventBridge schedule expression: rate(6 hours) or cron(0 5 * * ? *)",
    },
    default: "rate(6 hours)",
    practice: 10,
    secret: false,
    description: "Schedule of the AMI auditor's full audit.",
  },
  auditorRegions: {
    type: "list",
    item: { test: REGION, what: "an AWS region name" },
    default: [],
    practice: 10,
    secret: false,
    description: "Regions the AMI auditor audits on its schedule; empty: the stack's aws:region.",
  },
  auditorRemediate: {
    type: "boolean",
    default: false,
    practice: 10,
    secret: false,
    description:
      "Let the AMI auditor remove public and non-allow-listed launch permissions from owned images.",
  },
  auditorEnableSecurityHub: {
    type: "boolean",
    default: false,
    practice: 10,
    secret: false,
    description: "Enable Security Hub in the account (false where the organisation enables it).",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
/** Every key of the namespace, in the table's order. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];

/** The parsed value of every key (undefined: the stack's role does not read it). */
export type ConfigValues = { readonly [K in ConfigKey]: ParsedValueOf<(typeof CONFIG_SCHEMA)[K]> };

/** Keys of other namespaces the program reads (documented; `aws:region` is validated by the parser). */
export const OTHER_KEYS = {
  "aws:region": {
    type: "string",
    constraint: "an AWS region name",
    description: "The region of the stack: its resources, its AMIs, and the default of auditorRegions.",
  },
  "aws:allowedAccountIds": {
    type: "list",
    constraint: "12-digit account ids",
    description:
      "The aws provider's safety check; the pack config derived from the stack also trusts these accounts' images.",
  },
} as const;

/**
 * A rule across keys, checked after every key parsed on its own: `check` returns the problem (reported on
 * `key`) or undefined. `rule` states it for the docs.
 */
export interface Refinement {
  readonly key: ConfigKey;
  readonly rule: string;
  readonly check: (v: ConfigValues, region: string) => string | undefined;
}

export const REFINEMENTS: readonly Refinement[] = [
  {
    key: "ownerReadRoleOrgPaths",
    rule: "ownerReadRoleOrgPaths are paths of ownerReadRoleOrgId.",
    check: (v) => orgPathsProblem(v.ownerReadRoleOrgId, v.ownerReadRoleOrgPaths),
  },
  {
    key: "parentImage",
    rule: "parentImage is in aws:region.",
    check: (v, region) => {
      const parentRegion = v.parentImage?.split(":")[3];
      return parentRegion === undefined || parentRegion === region
        ? undefined
        : `must be in aws:region ${region}, got region ${parentRegion}`;
    },
  },
  {
    key: "amiMaxAgeDays",
    rule: "amiMaxAgeDays is at least two patch cadences (2 × patchCadenceDays) where a pipeline is built.",
    check: (v) =>
      v.patchCadenceDays !== undefined && v.amiMaxAgeDays < 2 * v.patchCadenceDays
        ? `must be at least two patch cadences (${2 * v.patchCadenceDays} days for patchCadenceDays ${v.patchCadenceDays}), got ${v.amiMaxAgeDays}`
        : undefined,
  },
  {
    key: "fleetAmi",
    rule: "A workload stack's fleetAmi is an AMI id (it has no pipeline).",
    check: (v) =>
      v.fleetAmi === "pipeline" && v.accountRole === "workload"
        ? "a workload stack has no pipeline: give the id of the golden image the image-build account shares"
        : undefined,
  },
  {
    key: "fleetMinSize",
    rule: "fleetMinSize ≤ fleetMaxSize.",
    check: (v) =>
      v.fleetMinSize !== undefined && v.fleetMaxSize !== undefined && v.fleetMinSize > v.fleetMaxSize
        ? `must not exceed fleetMaxSize (${v.fleetMaxSize}), got ${v.fleetMinSize}`
        : undefined,
  },
  {
    key: "fleetDesiredCapacity",
    rule: "fleetMinSize ≤ fleetDesiredCapacity ≤ fleetMaxSize.",
    check: ({ fleetMinSize: min, fleetMaxSize: max, fleetDesiredCapacity: d }) =>
      min !== undefined && max !== undefined && d !== undefined && (d < min || d > max)
        ? `must be between fleetMinSize (${min}) and fleetMaxSize (${max}), got ${d}`
        : undefined,
  },
  {
    key: "fleetAvailabilityZones",
    rule: "fleetAvailabilityZones are zones of aws:region.",
    check: (v, region) => {
      const zones = v.fleetAvailabilityZones ?? [];
      const i = zones.findIndex((z) => !z.startsWith(region));
      return i < 0
        ? undefined
        : `item ${i} must be an Availability Zone of ${region}, got ${JSON.stringify(zones[i])}`;
    },
  },
  {
    key: "fleetAvailabilityZones",
    rule: "A fleet has fleetSubnetIds or, for the default VPC, fleetAvailabilityZones: exactly one of them is non-empty.",
    check: ({ fleetSubnetIds: subnets, fleetAvailabilityZones: zones }) =>
      subnets === undefined || zones === undefined
        ? undefined
        : subnets.length === 0 && zones.length === 0
          ? "give fleetSubnetIds, or fleetAvailabilityZones for the default VPC (both are empty)"
          : subnets.length > 0 && zones.length > 0
            ? "must be [] when fleetSubnetIds is set (the subnets decide the zones)"
            : undefined,
  },
  {
    key: "scpTargetIds",
    rule: "scpTargetIds is not empty when scpEnabled is true.",
    check: (v) =>
      v.scpEnabled && v.scpTargetIds.length === 0 ? "must not be empty when scpEnabled is true" : undefined,
  },
];
