/**
 * Typed, validated configuration of the AMI Guard program. {@link parseConfig} is pure: it takes the raw
 * config map exactly as Pulumi hands it to the program (`namespace:key` → string; lists and objects as JSON
 * text) and either returns an {@link AmiGuardConfig} or throws a {@link ConfigError} naming the key and the
 * stack file. Nothing here touches the Pulumi engine, so it is tested without mocks.
 */
import { ConfigError } from "./errors";
import { parseEstate } from "./estate";

/** The config namespace of this project (the `name` in Pulumi.yaml). */
export const NAMESPACE = "ami-guard";

export type AllowedImagesState = "audit-mode" | "enabled";
export type SnapshotBlockPublicAccessState = "block-all-sharing" | "block-new-sharing";
export type InspectorResourceType = "EC2" | "ECR";

/**
 * What the stack's account is in an organisation's estate, and so which components it composes:
 * `standalone` builds and launches its own images (pipeline and fleet); `image-build` builds and shares the
 * golden images and provisions the owner read role (no fleet); `workload` launches the shared golden image
 * (fleet, no pipeline). Guardrails, key, roles, trail, alarms and scanning are in every account.
 */
export type AccountRole = "standalone" | "image-build" | "workload";
export const ACCOUNT_ROLES: readonly AccountRole[] = ["standalone", "image-build", "workload"];

/** Where the fleet's AMI comes from: the image this stack's own pipeline builds, or a fixed AMI id. */
export type FleetAmiSource =
  { readonly kind: "pipeline" } | { readonly kind: "image"; readonly imageId: string };

export interface AmiGuardConfig {
  /** The Pulumi stack name. */
  readonly stack: string;
  /** The stack file to edit (`stacks/Pulumi.<stack>.yaml`). */
  readonly stackFile: string;
  /** `aws:region`. */
  readonly region: string;
  /** Environment label: the `Environment` tag on everything, and on every AMI made. */
  readonly environment: string;
  /** The account's place in the estate, and what it shares with the rest of it. */
  readonly estate: {
    readonly role: AccountRole;
    /** Owner account → its owner read role: the pack's `ownerReadRoles` for this stack. */
    readonly ownerReadRoles: Readonly<Record<string, string>>;
    /** image-build: who may assume this account's owner read role. */
    readonly ownerReadRole?: {
      readonly organizationId: string;
      readonly organizationPaths: readonly string[];
      readonly principalArnPatterns: readonly string[];
    };
  };
  /** The AMIs this account uses or makes: root device and size, and the maximum age (every role). */
  readonly ami: {
    readonly rootDeviceName: string;
    readonly rootVolumeSizeGiB: number;
    readonly maxAgeDays: number;
  };
  readonly key: {
    readonly deletionWindowDays: number;
    readonly createAutoScalingServiceLinkedRole: boolean;
  };
  readonly roles: {
    readonly builderPrincipalArns: readonly string[];
    readonly publisherPrincipalArns: readonly string[];
    readonly deployerPrincipalArns: readonly string[];
    readonly auditorPrincipalArns: readonly string[];
  };
  /** The only targets AMIs may be shared with. */
  readonly sharing: {
    readonly accountIds: readonly string[];
    readonly organizationArns: readonly string[];
    readonly organizationalUnitArns: readonly string[];
  };
  readonly scp: { readonly enabled: boolean; readonly targetIds: readonly string[] };
  readonly audit: { readonly logRetentionDays: number; readonly trailBucketRetentionDays: number };
  readonly alarms: { readonly emails: readonly string[] };
  readonly scanning: {
    readonly resourceTypes: readonly InspectorResourceType[];
    /** Account made Inspector delegated administrator (run from the management account), if any. */
    readonly delegatedAdminAccountId?: string;
    /** Auto-enable Inspector for new organisation members (run from the delegated administrator). */
    readonly orgAutoEnable: boolean;
  };
  readonly guardrails: {
    readonly allowedImagesState: AllowedImagesState;
    readonly allowedImageProviders: readonly string[];
    readonly snapshotBlockPublicAccessState: SnapshotBlockPublicAccessState;
    readonly recycleBinRetentionDays: number;
  };
  /** Undefined for a workload stack (it launches the image-build account's images). */
  readonly pipeline?: {
    readonly parentImage: string;
    readonly recipeVersion: string;
    readonly recipeComponents: readonly string[];
    readonly rootDeviceName: string;
    readonly rootVolumeSizeGiB: number;
    readonly builderInstanceTypes: readonly string[];
    readonly patchCadenceDays: number;
    /** Image Builder cron expression derived from the patch cadence. */
    readonly scheduleExpression: string;
    /** Days after which an AMI we make is deprecated: two patch cycles (one missed build is tolerated). */
    readonly deprecateAfterDays: number;
    readonly amiMaxAgeDays: number;
    /** Value of the `Approved` tag on the AMIs this pipeline distributes. */
    readonly approvedTag: "true" | "false";
  };
  /** Undefined for an image-build stack (it builds and shares; the workload accounts launch). */
  readonly fleet?: {
    readonly ami: FleetAmiSource;
    readonly instanceType: string;
    readonly minSize: number;
    readonly maxSize: number;
    readonly desiredCapacity: number;
    readonly subnetIds: readonly string[];
    readonly availabilityZones: readonly string[];
    readonly securityGroupIds: readonly string[];
    readonly minHealthyPercentage: number;
  };
  /** The AMI auditor function (components/ami-auditor.ts). */
  readonly auditor: {
    /** EventBridge schedule of the full audit. */
    readonly scheduleExpression: string;
    /** Regions the scheduled audit covers (the stack's region when the key is empty). */
    readonly regions: readonly string[];
    /** Remove public and non-allow-listed launch permissions from owned images. */
    readonly remediate: boolean;
    /** Enable Security Hub in the account. */
    readonly enableSecurityHub: boolean;
  };
}

/** Every key of the `ami-guard` namespace, with a one-line description (the docs table mirrors it). */
export const CONFIG_KEYS = {
  environment: "Environment label (Environment tag on resources and AMIs).",
  accountRole:
    "`standalone` (pipeline and fleet), `image-build` (pipeline, publisher, owner read role; no fleet) or `workload` (fleet of the shared golden image; no pipeline).",
  ownerReadRoles:
    "Owner account id → its owner read role ARN (an object): the pack's ownerReadRoles for this stack (workload).",
  ownerReadRoleOrgId: "image-build: organization id (o-…) whose principals may assume the owner read role.",
  ownerReadRoleOrgPaths:
    "image-build: aws:PrincipalOrgPaths patterns narrowing them (default []: the organisation).",
  ownerReadRolePrincipalArnPatterns:
    "image-build: aws:PrincipalArn patterns of the deploy principals that may assume it.",
  parentImage: "Image Builder managed parent image ARN owned by `aws`, semantic-version wildcard.",
  recipeVersion: "Image recipe semantic version (x.y.z); also the AMI `Version` tag.",
  recipeComponents: "AWS-managed Image Builder component names run by the recipe.",
  rootDeviceName: "Root device of the parent image (e.g. /dev/xvda).",
  rootVolumeSizeGiB: "Root volume size of the images built, GiB.",
  builderInstanceTypes: "Instance types Image Builder may build on.",
  patchCadenceDays: "Days between scheduled rebuilds; AMIs are deprecated after two cadences.",
  amiMaxAgeDays: "Maximum AMI age (Allowed AMIs creation-date criterion).",
  amiApprovedTag: "Value of the `Approved` tag on AMIs the pipeline distributes (true|false).",
  fleetAmi: "`pipeline` (the stack's own built image) or an AMI id.",
  fleetInstanceType: "Fleet instance type.",
  fleetMinSize: "Auto Scaling group minimum size.",
  fleetMaxSize: "Auto Scaling group maximum size.",
  fleetDesiredCapacity: "Auto Scaling group desired capacity.",
  fleetSubnetIds: "Subnets of the fleet (empty: use fleetAvailabilityZones in the default VPC).",
  fleetAvailabilityZones: "Availability Zones of the fleet when no subnets are given.",
  fleetSecurityGroupIds: "Security groups of the fleet's network interface (empty: VPC default).",
  fleetMinHealthyPercentage: "Instance refresh minimum healthy percentage.",
  allowedImagesState: "EC2 Allowed AMIs state: audit-mode or enabled.",
  allowedImageProviders: "Allowed AMIs image providers besides this account.",
  snapshotBlockPublicAccessState: "EBS snapshot block public access: block-all-sharing or block-new-sharing.",
  recycleBinRetentionDays: "Days a deregistered AMI (and deleted snapshot) stays restorable.",
  logRetentionDays: "CloudWatch Logs retention of the trail log group.",
  trailBucketRetentionDays: "Days trail log files are kept in S3.",
  alarmEmails: "Email subscribers of the alarm topic.",
  sharingAccountIds: "Accounts AMIs may be shared with.",
  sharingOrganizationArns: "Organizations AMIs may be shared with.",
  sharingOrganizationalUnitArns: "Organizational units AMIs may be shared with.",
  builderPrincipalArns: "IAM principals that may assume the builder role.",
  publisherPrincipalArns: "IAM principals that may assume the publisher role.",
  deployerPrincipalArns: "IAM principals that may assume the deployer role.",
  auditorPrincipalArns: "IAM principals that may assume the auditor role.",
  kmsDeletionWindowDays: "Waiting period before the AMI key is deleted (7-30).",
  createAutoScalingServiceLinkedRole: "Create AWSServiceRoleForAutoScaling (false when it already exists).",
  inspectorResourceTypes: "Inspector v2 resource types (EC2 required, ECR optional).",
  inspectorDelegatedAdminAccountId: "Inspector delegated administrator account, or `none`.",
  inspectorOrgAutoEnable: "Auto-enable Inspector for organisation members (delegated admin only).",
  scpEnabled: "Create and attach the AMI guardrail service control policy.",
  scpTargetIds: "Organization root, OU or account ids the SCP is attached to.",
  auditorScheduleExpression: "Schedule of the AMI auditor's full audit: rate(…) or cron(…).",
  auditorRegions: "Regions the AMI auditor audits on its schedule (empty: the stack's region).",
  auditorRemediate: "Let the AMI auditor remove public and non-allow-listed launch permissions.",
  auditorEnableSecurityHub: "Enable Security Hub in the account (false where the organisation does).",
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

const ACCOUNT = /^[0-9]{12}$/;
const ORG_ARN = /^arn:aws[a-z-]*:organizations::[0-9]{12}:organization\/o-[a-z0-9]{10,32}$/;
const OU_ARN =
  /^arn:aws[a-z-]*:organizations::[0-9]{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOG_RETENTION = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The file a stack's config lives in (Pulumi.yaml sets `stackConfigDir: stacks`). */
export function stackFileOf(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/**
 * Validates the raw config of `stack` and returns it typed. Throws {@link ConfigError} on the first missing
 * or malformed value, and on unknown keys of the `ami-guard` namespace (a typo would otherwise be ignored).
 */
export function parseConfig(raw: Readonly<Record<string, string>>, stack: string): AmiGuardConfig {
  const file = stackFileOf(stack);
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(key, file, problem);
  };
  for (const k of Object.keys(raw)) {
    if (k.startsWith(`${NAMESPACE}:`) && !(k.slice(NAMESPACE.length + 1) in CONFIG_KEYS)) {
      fail(k, `unknown key (known keys: ${Object.keys(CONFIG_KEYS).join(", ")})`);
    }
  }
  const q = (key: ConfigKey) => `${NAMESPACE}:${key}`;
  const present = (full: string): string => {
    const v = raw[full];
    if (v === undefined || v.trim() === "") return fail(full, "is required but not set");
    return v.trim();
  };
  const str = (key: ConfigKey, test: (v: string) => boolean, what: string): string => {
    const v = present(q(key));
    if (!test(v)) fail(q(key), `must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const oneOf = <T extends string>(key: ConfigKey, values: readonly T[]): T =>
    str(key, (v) => (values as readonly string[]).includes(v), `one of ${values.join(", ")}`) as T;
  const int = (key: ConfigKey, min: number, max: number): number => {
    const v = present(q(key));
    if (!/^-?[0-9]+$/.test(v))
      fail(q(key), `must be a whole number between ${min} and ${max}, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (n < min || n > max) fail(q(key), `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (key: ConfigKey): boolean => {
    const v = present(q(key));
    if (v !== "true" && v !== "false") fail(q(key), `must be true or false, got ${JSON.stringify(v)}`);
    return v === "true";
  };
  const list = (
    key: ConfigKey,
    item: (v: string) => boolean,
    what: string,
    opts: { nonEmpty?: boolean } = {},
  ): string[] => {
    const full = q(key);
    const text = raw[full];
    if (text === undefined) return fail(full, "is required but not set (use [] for none)");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail(full, `must be a list, got ${JSON.stringify(text)}`);
    }
    if (!Array.isArray(parsed)) return fail(full, `must be a list, got ${JSON.stringify(text)}`);
    parsed.forEach((v, i) => {
      if (typeof v !== "string" || !item(v))
        fail(full, `item ${i} must be ${what}, got ${JSON.stringify(v)}`);
    });
    if (new Set(parsed).size !== parsed.length) fail(full, "must not repeat items");
    if (opts.nonEmpty && parsed.length === 0) fail(full, "must not be empty");
    return parsed as string[];
  };

  const region = present("aws:region");
  if (!REGION.test(region)) fail("aws:region", `must be an AWS region name, got ${JSON.stringify(region)}`);

  const environment = str(
    "environment",
    (v) => /^[a-z][a-z0-9-]{1,15}$/.test(v),
    "a lower-case label (2-16 chars)",
  );

  const accountRole = oneOf("accountRole", ACCOUNT_ROLES);
  const composesPipeline = accountRole !== "workload";
  const composesFleet = accountRole !== "image-build";
  /** Keys of a component the role does not compose must not be set (a stack file would say what is not built). */
  const unused = (keys: readonly ConfigKey[], why: string) => {
    for (const k of keys)
      if (raw[q(k)] !== undefined)
        fail(q(k), `is not used when accountRole is ${accountRole} (${why}): remove it`);
  };
  const estate = parseEstate(raw, accountRole, q, fail, list);
  const rootDeviceName = str(
    "rootDeviceName",
    (v) => /^\/dev\/(xvd|sd|nvme)[a-z0-9]{1,4}$/.test(v),
    "a device name like /dev/xvda",
  );
  const rootVolumeSizeGiB = int("rootVolumeSizeGiB", 1, 16384);
  const amiMaxAgeDays = int("amiMaxAgeDays", 1, 3650);
  const ami = { rootDeviceName, rootVolumeSizeGiB, maxAgeDays: amiMaxAgeDays };

  const pipeline = composesPipeline ? parsePipeline() : undefined;
  if (!composesPipeline)
    unused(["parentImage", "recipeVersion", "patchCadenceDays", "amiApprovedTag"], "it builds no images");
  function parsePipeline() {
    const parentImage = str(
      "parentImage",
      (v) =>
        /^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:aws:image\/[a-z0-9-]+\/(x\.x\.x|[0-9]+\.x\.x|[0-9]+\.[0-9]+\.x)$/.test(
          v,
        ),
      "an Image Builder managed image ARN owned by aws with a semantic-version wildcard " +
        "(arn:aws:imagebuilder:<region>:aws:image/<name>/x.x.x)",
    );
    const parentRegion = parentImage.split(":")[3];
    if (parentRegion !== region)
      fail(q("parentImage"), `must be in aws:region ${region}, got region ${parentRegion}`);
    const recipeVersion = str(
      "recipeVersion",
      (v) => /^[0-9]+\.[0-9]+\.[0-9]+$/.test(v),
      "a semantic version x.y.z",
    );
    const recipeComponents = list(
      "recipeComponents",
      (v) => /^[a-z0-9][a-z0-9-]{0,126}$/.test(v),
      "an AWS-managed Image Builder component name",
      { nonEmpty: true },
    );
    const builderInstanceTypes = list(
      "builderInstanceTypes",
      (v) => /^[a-z0-9-]+\.[a-z0-9]+$/.test(v),
      "an instance type",
      {
        nonEmpty: true,
      },
    );
    const patchCadenceDays = int("patchCadenceDays", 1, 31);
    const deprecateAfterDays = 2 * patchCadenceDays;
    if (amiMaxAgeDays < deprecateAfterDays) {
      fail(
        q("amiMaxAgeDays"),
        `must be at least two patch cadences (${deprecateAfterDays} days for patchCadenceDays ${patchCadenceDays}), got ${amiMaxAgeDays}`,
      );
    }
    const approvedTag = oneOf("amiApprovedTag", ["true", "false"] as const);
    return {
      parentImage,
      recipeVersion,
      recipeComponents,
      rootDeviceName,
      rootVolumeSizeGiB,
      builderInstanceTypes,
      patchCadenceDays,
      scheduleExpression: cadenceToCron(patchCadenceDays),
      deprecateAfterDays,
      amiMaxAgeDays,
      approvedTag,
    };
  }

  const fleet = composesFleet ? parseFleet() : undefined;
  if (!composesFleet)
    unused(
      [
        "fleetAmi",
        "fleetInstanceType",
        "fleetMinSize",
        "fleetMaxSize",
        "fleetDesiredCapacity",
        "fleetAvailabilityZones",
        "fleetMinHealthyPercentage",
      ],
      "the workload accounts launch the images it shares",
    );
  function parseFleet() {
    const fleetAmiRaw = str(
      "fleetAmi",
      (v) => v === "pipeline" || AMI_ID.test(v),
      "`pipeline` or an AMI id (ami- + 8 or 17 hex digits)",
    );
    if (fleetAmiRaw === "pipeline" && !composesPipeline)
      fail(
        q("fleetAmi"),
        "a workload stack has no pipeline: give the id of the golden image the image-build account shares",
      );
    const fleetAmi: FleetAmiSource =
      fleetAmiRaw === "pipeline" ? { kind: "pipeline" } : { kind: "image", imageId: fleetAmiRaw };
    const instanceType = str(
      "fleetInstanceType",
      (v) => /^[a-z0-9-]+\.[a-z0-9]+$/.test(v),
      "an instance type",
    );
    const minSize = int("fleetMinSize", 0, 1000);
    const maxSize = int("fleetMaxSize", 1, 1000);
    const desiredCapacity = int("fleetDesiredCapacity", 0, 1000);
    if (minSize > maxSize)
      fail(q("fleetMinSize"), `must not exceed fleetMaxSize (${maxSize}), got ${minSize}`);
    if (desiredCapacity < minSize || desiredCapacity > maxSize) {
      fail(
        q("fleetDesiredCapacity"),
        `must be between fleetMinSize (${minSize}) and fleetMaxSize (${maxSize}), got ${desiredCapacity}`,
      );
    }
    const subnetIds = list("fleetSubnetIds", (v) => /^subnet-[0-9a-f]{8,17}$/.test(v), "a subnet id");
    const availabilityZones = list(
      "fleetAvailabilityZones",
      (v) => v.startsWith(region) && /^[a-z0-9-]+[a-z]$/.test(v),
      `an Availability Zone of ${region}`,
    );
    if (subnetIds.length === 0 && availabilityZones.length === 0) {
      fail(
        q("fleetAvailabilityZones"),
        "give fleetSubnetIds, or fleetAvailabilityZones for the default VPC (both are empty)",
      );
    }
    if (subnetIds.length > 0 && availabilityZones.length > 0) {
      fail(
        q("fleetAvailabilityZones"),
        "must be [] when fleetSubnetIds is set (the subnets decide the zones)",
      );
    }
    const securityGroupIds = list(
      "fleetSecurityGroupIds",
      (v) => /^sg-[0-9a-f]{8,17}$/.test(v),
      "a security group id",
    );
    const minHealthyPercentage = int("fleetMinHealthyPercentage", 0, 100);
    return {
      ami: fleetAmi,
      instanceType,
      minSize,
      maxSize,
      desiredCapacity,
      subnetIds,
      availabilityZones,
      securityGroupIds,
      minHealthyPercentage,
    };
  }

  const allowedImagesState = oneOf("allowedImagesState", ["audit-mode", "enabled"] as const);
  const allowedImageProviders = list(
    "allowedImageProviders",
    (v) => ACCOUNT.test(v) || ["amazon", "aws-marketplace", "aws-backup-vault"].includes(v),
    "an account id, amazon, aws-marketplace or aws-backup-vault",
  );
  if (!allowedImageProviders.includes("amazon")) {
    fail(q("allowedImageProviders"), "must include amazon: the pipeline's parent images are owned by AWS");
  }
  const snapshotBlockPublicAccessState = oneOf("snapshotBlockPublicAccessState", [
    "block-all-sharing",
    "block-new-sharing",
  ] as const);
  const recycleBinRetentionDays = int("recycleBinRetentionDays", 1, 365);

  const logRetentionDays = int("logRetentionDays", 1, 3653);
  if (!LOG_RETENTION.includes(logRetentionDays)) {
    fail(
      q("logRetentionDays"),
      `must be a CloudWatch Logs retention value (${LOG_RETENTION.join(", ")}), got ${logRetentionDays}`,
    );
  }
  const trailBucketRetentionDays = int("trailBucketRetentionDays", 1, 3650);
  const emails = list("alarmEmails", (v) => EMAIL.test(v), "an email address", { nonEmpty: true });

  const accountIds = list("sharingAccountIds", (v) => ACCOUNT.test(v), "a 12-digit account id");
  const organizationArns = list("sharingOrganizationArns", (v) => ORG_ARN.test(v), "an organization ARN");
  const organizationalUnitArns = list("sharingOrganizationalUnitArns", (v) => OU_ARN.test(v), "an OU ARN");

  const principals = (key: ConfigKey) =>
    list(key, (v) => PRINCIPAL_ARN.test(v), "an IAM role or user ARN (never the account root)", {
      nonEmpty: true,
    });
  const roles = {
    builderPrincipalArns: principals("builderPrincipalArns"),
    publisherPrincipalArns: principals("publisherPrincipalArns"),
    deployerPrincipalArns: principals("deployerPrincipalArns"),
    auditorPrincipalArns: principals("auditorPrincipalArns"),
  };

  const deletionWindowDays = int("kmsDeletionWindowDays", 7, 30);
  const createAutoScalingServiceLinkedRole = bool("createAutoScalingServiceLinkedRole");

  const resourceTypes = list("inspectorResourceTypes", (v) => v === "EC2" || v === "ECR", "EC2 or ECR", {
    nonEmpty: true,
  }) as InspectorResourceType[];
  if (!resourceTypes.includes("EC2"))
    fail(q("inspectorResourceTypes"), "must include EC2 (AMIs are scanned on EC2)");
  const delegated = str(
    "inspectorDelegatedAdminAccountId",
    (v) => v === "none" || ACCOUNT.test(v),
    "`none` or a 12-digit account id",
  );
  const orgAutoEnable = bool("inspectorOrgAutoEnable");

  const scpEnabled = bool("scpEnabled");
  const targetIds = list(
    "scpTargetIds",
    (v) => ACCOUNT.test(v) || /^r-[0-9a-z]{4,32}$/.test(v) || /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(v),
    "an organization root (r-…), OU (ou-…) or account id",
  );
  if (scpEnabled && targetIds.length === 0)
    fail(q("scpTargetIds"), "must not be empty when scpEnabled is true");

  const scheduleExpression = str(
    "auditorScheduleExpression",
    (v) =>
      /^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$/.test(v) ||
      /^cron\(([^\s()]+ ){5}[^\s()]+\)$/.test(v),
    "an EventBridge schedule expression: rate(6 hours) or cron(0 5 * * ? *)",
  );
  const auditorRegions = list("auditorRegions", (v) => REGION.test(v), "an AWS region name");
  const remediate = bool("auditorRemediate");
  const enableSecurityHub = bool("auditorEnableSecurityHub");

  return {
    stack,
    stackFile: file,
    region,
    environment,
    estate,
    ami,
    key: { deletionWindowDays, createAutoScalingServiceLinkedRole },
    roles,
    sharing: { accountIds, organizationArns, organizationalUnitArns },
    scp: { enabled: scpEnabled, targetIds },
    audit: { logRetentionDays, trailBucketRetentionDays },
    alarms: { emails },
    scanning: {
      resourceTypes,
      delegatedAdminAccountId: delegated === "none" ? undefined : delegated,
      orgAutoEnable,
    },
    guardrails: {
      allowedImagesState,
      allowedImageProviders,
      snapshotBlockPublicAccessState,
      recycleBinRetentionDays,
    },
    pipeline,
    fleet,
    auditor: {
      scheduleExpression,
      regions: auditorRegions.length > 0 ? auditorRegions : [region],
      remediate,
      enableSecurityHub,
    },
  };
}

/**
 * The Image Builder schedule (cron, UTC, 03:00) for a patch cadence in days: daily, weekly on Sundays,
 * monthly on the 1st (28 days and more), otherwise every N days of the month starting on the 1st.
 */
export function cadenceToCron(days: number): string {
  if (days <= 1) return "cron(0 3 * * ? *)";
  if (days === 7) return "cron(0 3 ? * sun *)";
  if (days >= 28) return "cron(0 3 1 * ? *)";
  return `cron(0 3 1/${days} * ? *)`;
}
