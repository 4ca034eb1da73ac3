/**
 * What each AWS resource type does with AMIs, read from its inputs as the engine sends them: the AMIs it
 * uses, the AMI it makes, the launch permissions it grants. Pure functions over plain props (see values.ts).
 *
 * {@link AMI_TABLE} is the one list of AMI-bearing input properties, per type token, for both AWS providers
 * (`aws:` = @pulumi/aws, `aws-native:` = @pulumi/aws-native), written from the providers' own type definitions
 * (tests/policy-pack/resource-table.spec.ts fails when a listed path disappears from them). Every policy reads
 * its type list from it. A type that is not listed is scanned (see {@link scannedUses}).
 */
import type { LaunchPermission } from "./facts";
import { UNKNOWN, bool, isUnknown, list, rec, str, strList, tags, type Unknown } from "./values";
import { AMI_ID } from "./patterns";

/** What an input property does with an AMI. */
export type AmiRole =
  /** An AMI id launched as is. */
  | "deploy"
  /** An AMI id an image is made from (copy source, recipe parent, build instance). */
  | "source"
  /** An AMI id published for others to launch (an SSM parameter of data type aws:ec2:image): judged as a deploy. */
  | "publish"
  /** The name of an image AWS picks and keeps current (EKS amiType): judged by its owner, amazon. */
  | "aws-managed"
  /** Pins the version of an AWS-managed image (EKS releaseVersion): only read for ignoreChanges. */
  | "image-version"
  /** A launch template reference: its image is judged through the template. */
  | "launch-template"
  /** Where the image the resource makes is described (encryption, KMS key, tags). */
  | "made-image"
  /** Who may launch the image made or named. */
  | "launch-permission"
  /** An account the made image is delivered to (copied, set in its launch template, published, fast-launched). */
  | "image-account"
  /** The made image's disks exported out of EC2 (to S3). */
  | "export"
  /** A snapshot the made image is registered from. */
  | "snapshot"
  /** An account given createVolumePermission on a snapshot. */
  | "snapshot-permission"
  /** An account-level AMI guardrail (Allowed AMIs, image block public access). */
  | "account-setting";

export interface AmiProperty {
  /** Input property path: dotted, `[]` after a list (`computeResources.ec2Configurations[].imageIdOverride`). */
  path: string;
  role: AmiRole;
  /** For a list of settings: only the elements whose keys hold these values (compared case-insensitively). */
  where?: Readonly<Record<string, string>>;
  /** Values that name an AWS-managed image rather than an AMI id (Cloud9 aliases, EKS AMI types). */
  managed?: RegExp;
}

export interface AmiType {
  provider: "aws" | "aws-native";
  properties: readonly AmiProperty[];
  /** The AMI-id properties count only when this input holds this value, is unknown, or the value is an AMI id. */
  when?: { path: string; equals: string };
}

const p = (path: string, role: AmiRole, extra: Partial<AmiProperty> = {}): AmiProperty => ({
  path,
  role,
  ...extra,
});
const aws = (...properties: AmiProperty[]): AmiType => ({ provider: "aws", properties });
const native = (...properties: AmiProperty[]): AmiType => ({ provider: "aws-native", properties });

const BEANSTALK_IMAGE = { namespace: "aws:autoscaling:launchconfiguration" };
const CLOUD9_ALIAS = /^(amazonlinux|ubuntu)-[0-9a-z.]+-(x86_64|arm64)$/;
const EKS_AMI_TYPE = /^(?!CUSTOM$)[A-Za-z0-9_]+$/;
const SSM_IMAGE = { path: "dataType", equals: "aws:ec2:image" };

const distributionProperties = (launchPermission: string, extras: AmiProperty[]): AmiProperty[] => [
  p("distributions[].amiDistributionConfiguration", "made-image"),
  p(`distributions[].amiDistributionConfiguration.${launchPermission}`, "launch-permission"),
  p("distributions[].amiDistributionConfiguration.targetAccountIds", "image-account"),
  p("distributions[].launchTemplateConfigurations[].accountId", "image-account"),
  p("distributions[].ssmParameterConfigurations[].amiAccountId", "image-account"),
  p("distributions[].fastLaunchConfigurations[].accountId", "image-account"),
  ...extras,
];

/** Every AMI-bearing input property of both AWS providers, per type token. */
export const AMI_TABLE: Readonly<Record<string, AmiType>> = {
  // ---- @pulumi/aws
  "aws:ec2/instance:Instance": aws(p("ami", "deploy"), p("launchTemplate", "launch-template")),
  "aws:ec2/launchTemplate:LaunchTemplate": aws(p("imageId", "deploy")),
  "aws:ec2/launchConfiguration:LaunchConfiguration": aws(p("imageId", "deploy")),
  "aws:ec2/spotInstanceRequest:SpotInstanceRequest": aws(
    p("ami", "deploy"),
    p("launchTemplate", "launch-template"),
  ),
  "aws:ec2/spotFleetRequest:SpotFleetRequest": aws(
    p("launchSpecifications[].ami", "deploy"),
    p("launchTemplateConfigs", "launch-template"),
  ),
  "aws:ec2/fleet:Fleet": aws(p("launchTemplateConfigs", "launch-template")),
  "aws:autoscaling/group:Group": aws(
    p("launchTemplate", "launch-template"),
    p("launchConfiguration", "launch-template"),
    p("mixedInstancesPolicy.launchTemplate", "launch-template"),
  ),
  "aws:batch/computeEnvironment:ComputeEnvironment": aws(
    p("computeResources.imageId", "deploy"),
    p("computeResources.ec2Configurations[].imageIdOverride", "deploy"),
    p("computeResources.launchTemplate", "launch-template"),
  ),
  "aws:emr/cluster:Cluster": aws(p("customAmiId", "deploy")),
  "aws:eks/nodeGroup:NodeGroup": aws(
    p("amiType", "aws-managed", { managed: EKS_AMI_TYPE }),
    p("releaseVersion", "image-version"),
    p("launchTemplate", "launch-template"),
  ),
  "aws:codebuild/fleet:Fleet": aws(p("imageId", "deploy")),
  "aws:rds/customDbEngineVersion:CustomDbEngineVersion": aws(p("sourceImageId", "deploy")),
  "aws:cloud9/environmentEC2:EnvironmentEC2": aws(p("imageId", "deploy", { managed: CLOUD9_ALIAS })),
  "aws:ssm/parameter:Parameter": {
    ...aws(p("value", "publish"), p("insecureValue", "publish")),
    when: SSM_IMAGE,
  },
  "aws:elasticbeanstalk/environment:Environment": aws(
    p("settings[].value", "deploy", { where: { ...BEANSTALK_IMAGE, name: "ImageId" } }),
  ),
  "aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate": aws(
    p("settings[].value", "deploy", { where: { ...BEANSTALK_IMAGE, name: "ImageId" } }),
  ),
  "aws:imagebuilder/imageRecipe:ImageRecipe": aws(p("parentImage", "source")),
  "aws:imagebuilder/containerRecipe:ContainerRecipe": aws(p("instanceConfiguration.image", "source")),
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": aws(
    ...distributionProperties("launchPermission", [p("distributions[].s3ExportConfiguration", "export")]),
  ),
  "aws:ec2/amiCopy:AmiCopy": aws(
    p("sourceAmiId", "source"),
    p("encrypted", "made-image"),
    p("kmsKeyId", "made-image"),
  ),
  "aws:ec2/ami:Ami": aws(p("ebsBlockDevices", "made-image"), p("ebsBlockDevices[].snapshotId", "snapshot")),
  "aws:ec2/amiFromInstance:AmiFromInstance": aws(p("sourceInstanceId", "made-image")),
  "aws:ec2/amiLaunchPermission:AmiLaunchPermission": aws(
    p("group", "launch-permission"),
    p("accountId", "launch-permission"),
    p("organizationArn", "launch-permission"),
    p("organizationalUnitArn", "launch-permission"),
  ),
  "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission": aws(
    p("accountId", "snapshot-permission"),
  ),
  "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": aws(p("state", "account-setting")),
  "aws:ec2/allowedImagesSettings:AllowedImagesSettings": aws(
    p("state", "account-setting"),
    p("imageCriterions[].imageProviders", "account-setting"),
  ),
  // ---- @pulumi/aws-native
  "aws-native:ec2:Instance": native(p("imageId", "deploy"), p("launchTemplate", "launch-template")),
  "aws-native:ec2:LaunchTemplate": native(p("launchTemplateData.imageId", "deploy")),
  "aws-native:autoscaling:LaunchConfiguration": native(p("imageId", "deploy")),
  "aws-native:autoscaling:AutoScalingGroup": native(
    p("mixedInstancesPolicy.launchTemplate.overrides[].imageId", "deploy"),
    p("launchTemplate", "launch-template"),
    p("mixedInstancesPolicy.launchTemplate.launchTemplateSpecification", "launch-template"),
  ),
  "aws-native:ec2:SpotFleet": native(
    p("spotFleetRequestConfigData.launchSpecifications[].imageId", "deploy"),
    p("spotFleetRequestConfigData.launchTemplateConfigs", "launch-template"),
  ),
  "aws-native:ec2:Ec2Fleet": native(p("launchTemplateConfigs", "launch-template")),
  "aws-native:batch:ComputeEnvironment": native(
    p("computeResources.imageId", "deploy"),
    p("computeResources.ec2Configuration[].imageIdOverride", "deploy"),
    p("computeResources.launchTemplate", "launch-template"),
  ),
  "aws-native:eks:Nodegroup": native(
    p("amiType", "aws-managed", { managed: EKS_AMI_TYPE }),
    p("releaseVersion", "image-version"),
    p("launchTemplate", "launch-template"),
  ),
  "aws-native:codebuild:Fleet": native(p("imageId", "deploy")),
  "aws-native:rds:CustomDbEngineVersion": native(p("imageId", "deploy")),
  "aws-native:sagemaker:Cluster": native(p("instanceGroups[].imageId", "deploy")),
  "aws-native:workspacesinstances:WorkspaceInstance": native(p("managedInstance.imageId", "deploy")),
  "aws-native:pcs:ComputeNodeGroup": native(
    p("amiId", "deploy"),
    p("customLaunchTemplate", "launch-template"),
  ),
  "aws-native:ssm:Parameter": { ...native(p("value", "publish")), when: SSM_IMAGE },
  "aws-native:elasticbeanstalk:Environment": native(
    p("optionSettings[].value", "deploy", { where: { ...BEANSTALK_IMAGE, optionName: "ImageId" } }),
  ),
  "aws-native:elasticbeanstalk:ConfigurationTemplate": native(
    p("optionSettings[].value", "deploy", { where: { ...BEANSTALK_IMAGE, optionName: "ImageId" } }),
  ),
  "aws-native:imagebuilder:ImageRecipe": native(p("parentImage", "source")),
  "aws-native:imagebuilder:ContainerRecipe": native(p("instanceConfiguration.image", "source")),
  "aws-native:imagebuilder:DistributionConfiguration": native(
    ...distributionProperties("launchPermissionConfiguration", []),
  ),
};

/** The type tokens the rest of the pack names. */
export const TYPES = {
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  launchConfiguration: "aws:ec2/launchConfiguration:LaunchConfiguration",
  spotInstanceRequest: "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
  spotFleetRequest: "aws:ec2/spotFleetRequest:SpotFleetRequest",
  imageRecipe: "aws:imagebuilder/imageRecipe:ImageRecipe",
  amiCopy: "aws:ec2/amiCopy:AmiCopy",
  ami: "aws:ec2/ami:Ami",
  amiFromInstance: "aws:ec2/amiFromInstance:AmiFromInstance",
  distribution: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
  launchPermission: "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
  imageBlockPublicAccess: "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess",
  allowedImages: "aws:ec2/allowedImagesSettings:AllowedImagesSettings",
  snapshotPermission: "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
  nativeImageRecipe: "aws-native:imagebuilder:ImageRecipe",
  nativeDistribution: "aws-native:imagebuilder:DistributionConfiguration",
} as const;

/** The listed types that have a property with one of `roles`. */
export function typesWith(...roles: AmiRole[]): string[] {
  return Object.keys(AMI_TABLE).filter((t) => AMI_TABLE[t].properties.some((q) => roles.includes(q.role)));
}

/** Resource types that launch instances from (or publish) an AMI, named by id, alias or launch template. */
export const LAUNCHERS: readonly string[] = typesWith("deploy", "publish", "aws-managed", "launch-template");

/** Resource types that make an AMI. */
export const MAKERS: readonly string[] = typesWith("made-image");

/** Resource types that name an AMI id to look up (launched, published or made from). */
export const USERS: readonly string[] = typesWith("deploy", "publish", "source");

/** True for a type the table does not list and the pack scans instead (every type but Pulumi's own). */
export function isUnlisted(type: string): boolean {
  return !(type in AMI_TABLE) && !type.startsWith("pulumi:");
}

/** Why an AMI is referenced: launched as is (deploy), or the source of an image being made (source). */
export type AmiPurpose = "deploy" | "source";

export interface AmiUse {
  /** The AMI id, UNKNOWN at preview, or a non-AMI reference (e.g. `resolve:ssm:…`) kept as text. */
  imageId: string | Unknown;
  /** The input property path, for messages (e.g. `launchSpecifications[0].ami`). */
  path: string;
  purpose: AmiPurpose;
  /** Region to look the AMI up in when it differs from the resource's (AmiCopy's sourceAmiRegion). */
  region?: string | Unknown;
  /** True when found by scanning a type the table does not list. */
  scanned?: boolean;
}

/**
 * Where an Auto Scaling group names a launch configuration. The pack does not read launch configurations made
 * outside the stack (a legacy mechanism AWS no longer offers to new accounts): a known name there is
 * unverifiable and fails closed; one made in the stack is unknown at preview and judged as its own resource.
 */
export const LAUNCH_CONFIGURATION_REFERENCES: Readonly<Record<string, string>> = {
  "aws:autoscaling/group:Group": "launchConfiguration",
  "aws-native:autoscaling:AutoScalingGroup": "launchConfigurationName",
};

export { AMI_ID };

/** One value found at a property path: its concrete path (`a[0].b`), the value, and the object holding it. */
export interface Found {
  path: string;
  value: unknown;
  holder: Record<string, unknown>;
}

/**
 * The values at `path` (`a.b[].c`) in `props`: one per list element; a value unknown on the way is returned
 * as UNKNOWN at the path reached. Missing values are left out. Never throws.
 */
export function valuesAt(props: Record<string, unknown>, path: string): Found[] {
  const segments = path.split(".");
  const out: Found[] = [];
  const walk = (value: unknown, holder: Record<string, unknown>, i: number, at: string): void => {
    if (isUnknown(value)) {
      out.push({ path: at, value: UNKNOWN, holder });
      return;
    }
    if (i === segments.length) {
      if (value !== undefined && value !== null) out.push({ path: at, value, holder });
      return;
    }
    const seg = segments[i];
    const isList = seg.endsWith("[]");
    const key = isList ? seg.slice(0, -2) : seg;
    const here = rec(value);
    const next = here[key];
    const nextAt = at ? `${at}.${key}` : key;
    if (!isList) return walk(next, here, i + 1, nextAt);
    if (next === undefined || next === null) return;
    const items = list(next);
    if (items === UNKNOWN) {
      out.push({ path: nextAt, value: UNKNOWN, holder: here });
      return;
    }
    items.forEach((item, n) => {
      if (isUnknown(item)) out.push({ path: `${nextAt}[${n}]`, value: UNKNOWN, holder: here });
      else walk(item, here, i + 1, `${nextAt}[${n}]`);
    });
  };
  walk(props, props, 0, "");
  return out;
}

/** True when the element matches `where` (an unknown key matches: fail closed). */
function matches(
  holder: Record<string, unknown>,
  where: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!where) return true;
  return Object.entries(where).every(([k, want]) => {
    const v = str(holder[k]);
    return v === UNKNOWN || (typeof v === "string" && v.trim().toLowerCase() === want.toLowerCase());
  });
}

/** True when a type's `when` condition lets `value` count. */
function applies(t: AmiType, props: Record<string, unknown>, value: string | Unknown): boolean {
  if (!t.when) return true;
  if (typeof value === "string" && AMI_ID.test(value.trim())) return true;
  const cond = valuesAt(props, t.when.path);
  if (cond.length === 0) return false;
  return cond.some((c) => {
    const v = str(c.value);
    return v === UNKNOWN || (typeof v === "string" && v.trim().toLowerCase() === t.when!.equals);
  });
}

/** The AMIs a resource uses, or [] for a type that uses none. Never throws. */
export function amiUses(type: string, props: Record<string, unknown>): AmiUse[] {
  const t = AMI_TABLE[type];
  if (!t) return isUnlisted(type) ? scannedUses(props) : [];
  const out: AmiUse[] = [];
  for (const q of t.properties) {
    if (q.role !== "deploy" && q.role !== "source" && q.role !== "publish") continue;
    for (const f of valuesAt(props, q.path)) {
      if (!matches(f.holder, q.where)) continue;
      const v = str(f.value);
      if (v === undefined) continue;
      if (!applies(t, props, v)) continue;
      if (typeof v === "string" && q.managed?.test(v.trim())) continue; // judged as an AWS-managed image
      // An Image Builder image ARN is judged by its owner (see imageBuilderArnOwner), not looked up.
      if (q.role === "source" && typeof v === "string" && v.startsWith("arn:")) continue;
      out.push({
        imageId: typeof v === "string" ? v.trim() : v,
        path: f.path,
        purpose: q.role === "source" ? "source" : "deploy",
        region: type === TYPES.amiCopy && q.path === "sourceAmiId" ? str(props.sourceAmiRegion) : undefined,
      });
    }
  }
  return out;
}

/** An AWS-managed image a resource names (EKS AMI type, Cloud9 alias): its path and name. */
export interface ManagedImage {
  path: string;
  name: string;
}

/** The AWS-managed images a resource names; unknown values are left out (judged at update). */
export function managedImages(type: string, props: Record<string, unknown>): ManagedImage[] {
  const t = AMI_TABLE[type];
  if (!t) return [];
  const out: ManagedImage[] = [];
  for (const q of t.properties) {
    if (!q.managed) continue;
    for (const f of valuesAt(props, q.path)) {
      const v = str(f.value);
      if (typeof v === "string" && q.managed.test(v.trim())) out.push({ path: f.path, name: v.trim() });
    }
  }
  return out;
}

/** Keys whose values are metadata, never an image to launch (tags), skipped when scanning. */
const METADATA_KEYS = new Set(["tags", "tagsAll", "tagSpecifications"]);

/**
 * The AMI references in the inputs of a type the table does not list: every string that is an AMI id or a
 * `resolve:ssm:` reference, anywhere in the inputs but tags, judged as a deploy so that an unlisted type is
 * never a way around the pack. Bounded in depth and count.
 */
export function scannedUses(props: Record<string, unknown>): AmiUse[] {
  const out: AmiUse[] = [];
  const walk = (value: unknown, at: string, depth: number): void => {
    if (depth > 32 || out.length >= 100) return;
    if (typeof value === "string") {
      const v = value.trim();
      if (AMI_ID.test(v) || v.startsWith("resolve:ssm:"))
        out.push({ imageId: v, path: at, purpose: "deploy", scanned: true });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${at}[${i}]`, depth + 1));
      return;
    }
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (depth === 0 && METADATA_KEYS.has(k)) continue;
        walk(v, at ? `${at}.${k}` : k, depth + 1);
      }
    }
  };
  walk(props, "", 0);
  return out;
}

/** The property paths of a type with one of `roles` (for ignoreChanges), as written in the table. */
export function pathsWith(type: string, roles: readonly AmiRole[]): string[] {
  return (AMI_TABLE[type]?.properties ?? []).filter((q) => roles.includes(q.role)).map((q) => q.path);
}

/**
 * The owner of an Image Builder image ARN (`arn:aws:imagebuilder:<region>:<owner>:image/<name>/<version>`):
 * `aws` for AWS-managed images, else the account id. undefined when `ref` is not such an ARN.
 */
export function imageBuilderArnOwner(ref: string): string | undefined {
  const m = /^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]*:([a-z0-9-]+):image\/[^/]+(\/.*)?$/.exec(ref);
  return m ? m[1] : undefined;
}

/** What an AMI-making resource declares about the image it makes. */
export interface MadeImage {
  /** Where in the inputs (for messages). */
  path: string;
  /** true / false, UNKNOWN, or undefined when not set. `null` when the type cannot say (AmiFromInstance). */
  encrypted: boolean | Unknown | undefined | null;
  kmsKeyId: string | Unknown | undefined;
  tags: Record<string, string | Unknown> | Unknown;
  launchPermissions: LaunchPermission[] | Unknown;
}

/** The images a resource makes (one per Image Builder distribution), or [] for a type that makes none. */
export function madeImages(type: string, props: Record<string, unknown>): MadeImage[] {
  switch (type) {
    case TYPES.amiCopy:
      return [
        {
          path: "",
          encrypted: bool(props.encrypted),
          kmsKeyId: str(props.kmsKeyId),
          tags: tags(props.tags),
          launchPermissions: [],
        },
      ];
    case TYPES.ami: {
      const devices = list(props.ebsBlockDevices);
      let encrypted: boolean | Unknown | undefined = undefined;
      if (devices === UNKNOWN) encrypted = UNKNOWN;
      else if (devices.length > 0) {
        const flags = devices.map((d) => (isUnknown(d) ? UNKNOWN : bool(rec(d).encrypted)));
        encrypted = flags.includes(UNKNOWN) ? UNKNOWN : flags.every((f) => f === true);
      }
      return [
        {
          path: "ebsBlockDevices",
          encrypted,
          kmsKeyId: undefined,
          tags: tags(props.tags),
          launchPermissions: [],
        },
      ];
    }
    case TYPES.amiFromInstance:
      return [
        { path: "", encrypted: null, kmsKeyId: undefined, tags: tags(props.tags), launchPermissions: [] },
      ];
    case TYPES.distribution:
    case TYPES.nativeDistribution:
      return distributionImages(
        props,
        type === TYPES.distribution ? "launchPermission" : "launchPermissionConfiguration",
      );
    default:
      return [];
  }
}

function distributionImages(props: Record<string, unknown>, permissionKey: string): MadeImage[] {
  const dists = list(props.distributions);
  if (dists === UNKNOWN) {
    return [
      {
        path: "distributions",
        encrypted: UNKNOWN,
        kmsKeyId: UNKNOWN,
        tags: UNKNOWN,
        launchPermissions: UNKNOWN,
      },
    ];
  }
  const out: MadeImage[] = [];
  dists.forEach((d, i) => {
    const dist = rec(d);
    const regionText = str(dist.region);
    const where = `distributions[${i}]${typeof regionText === "string" ? ` (${regionText})` : ""}`;
    const amiConfRaw = dist.amiDistributionConfiguration;
    if (isUnknown(d) || isUnknown(amiConfRaw)) {
      out.push({
        path: where,
        encrypted: UNKNOWN,
        kmsKeyId: UNKNOWN,
        tags: UNKNOWN,
        launchPermissions: UNKNOWN,
      });
      return;
    }
    if (amiConfRaw === undefined || amiConfRaw === null) {
      // A distribution with no AMI settings makes an AMI with the recipe's encryption and no tags.
      out.push({ path: where, encrypted: undefined, kmsKeyId: undefined, tags: {}, launchPermissions: [] });
      return;
    }
    const conf = rec(amiConfRaw);
    const kmsKeyId = str(conf.kmsKeyId);
    out.push({
      path: `${where}.amiDistributionConfiguration`,
      encrypted: kmsKeyId === UNKNOWN ? UNKNOWN : kmsKeyId !== undefined ? true : undefined,
      kmsKeyId,
      tags: tags(conf.amiTags),
      launchPermissions: distributionPermissions(conf, permissionKey),
    });
  });
  return out;
}

function distributionPermissions(
  conf: Record<string, unknown>,
  permissionKey: string,
): LaunchPermission[] | Unknown {
  const out: LaunchPermission[] = [];
  const lp = conf[permissionKey];
  if (isUnknown(lp)) return UNKNOWN;
  const perms = list(lp);
  if (perms === UNKNOWN) return UNKNOWN;
  for (const perm of perms) {
    const r = rec(perm);
    const groups = strList(r.userGroups);
    const users = strList(r.userIds);
    const orgs = strList(r.organizationArns);
    const ous = strList(r.organizationalUnitArns);
    if (groups === UNKNOWN || users === UNKNOWN || orgs === UNKNOWN || ous === UNKNOWN) return UNKNOWN;
    out.push(...groups.map((Group) => ({ Group })));
    out.push(...users.map((UserId) => ({ UserId })));
    out.push(...orgs.map((OrganizationArn) => ({ OrganizationArn })));
    out.push(...ous.map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })));
  }
  // Image Builder copies the AMI into these accounts: that is sharing too.
  const targets = strList(conf.targetAccountIds);
  if (targets === UNKNOWN) return UNKNOWN;
  out.push(...targets.map((UserId) => ({ UserId })));
  return out;
}

/** An account a made image is delivered to outside its launch permissions, with where it is set. */
export interface ImageAccount {
  path: string;
  accountId: string;
}

/**
 * The accounts a resource delivers its image to besides launch permissions and targetAccountIds (Image
 * Builder launch template configurations, SSM parameters, fast launch). Unknown ones are left out (judged at
 * update); an empty or missing account id means the distribution's own account.
 */
export function imageAccounts(type: string, props: Record<string, unknown>): ImageAccount[] {
  const out: ImageAccount[] = [];
  for (const q of AMI_TABLE[type]?.properties ?? []) {
    if (q.role !== "image-account" || q.path.endsWith("targetAccountIds")) continue;
    for (const f of valuesAt(props, q.path)) {
      const v = str(f.value);
      if (typeof v === "string") out.push({ path: f.path, accountId: v.trim() });
    }
  }
  return out;
}

/** The S3 exports of the images a resource makes: where set, and the bucket (UNKNOWN at preview). */
export function imageExports(
  type: string,
  props: Record<string, unknown>,
): { path: string; bucket: string | Unknown | undefined }[] {
  const out: { path: string; bucket: string | Unknown | undefined }[] = [];
  for (const q of AMI_TABLE[type]?.properties ?? []) {
    if (q.role !== "export") continue;
    for (const f of valuesAt(props, q.path)) {
      out.push({ path: f.path, bucket: f.value === UNKNOWN ? UNKNOWN : str(rec(f.value).s3Bucket) });
    }
  }
  return out;
}

/** The snapshots an image is registered from (ec2.Ami): path and id, UNKNOWN at preview. */
export function sourceSnapshots(
  type: string,
  props: Record<string, unknown>,
): { path: string; snapshotId: string | Unknown }[] {
  const out: { path: string; snapshotId: string | Unknown }[] = [];
  for (const q of AMI_TABLE[type]?.properties ?? []) {
    if (q.role !== "snapshot") continue;
    for (const f of valuesAt(props, q.path)) {
      const v = str(f.value);
      if (v !== undefined) out.push({ path: f.path, snapshotId: v });
    }
  }
  return out;
}

/** The launch permission an AmiLaunchPermission grants, UNKNOWN where any part is unknown. */
export function grantedPermission(props: Record<string, unknown>): LaunchPermission | Unknown {
  const g = str(props.group);
  const a = str(props.accountId);
  const o = str(props.organizationArn);
  const u = str(props.organizationalUnitArn);
  if ([g, a, o, u].includes(UNKNOWN)) return UNKNOWN;
  return {
    Group: g as string | undefined,
    UserId: a as string | undefined,
    OrganizationArn: o as string | undefined,
    OrganizationalUnitArn: u as string | undefined,
  };
}

/**
 * The region a resource's AMIs live in: the resource's own `region` input (@pulumi/aws v7), its provider's
 * `region`, the stack's `aws:region`, then AWS_REGION / AWS_DEFAULT_REGION. A source that is unknown at
 * preview is passed over for the next one: an AMI id known now is judged in the stack's region rather than
 * deferred (AMI ids are unique across regions, so a match there is that image). UNKNOWN only when nothing
 * after an unknown source names a region.
 */
export function resolveRegion(
  props: Record<string, unknown>,
  providerProps: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | Unknown | undefined {
  let sawUnknown = false;
  const candidates: (string | Unknown | undefined)[] = [
    str(props.region),
    providerProps ? str(providerProps.region) : undefined,
  ];
  for (const candidate of candidates) {
    if (candidate === UNKNOWN) sawUnknown = true;
    else if (candidate !== undefined) return candidate;
  }
  const stack = stackConfig(env)["aws:region"];
  if (typeof stack === "string" && stack.trim() !== "") return stack.trim();
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  return sawUnknown ? UNKNOWN : undefined;
}

let cachedConfig: { text: string | undefined; value: Record<string, unknown> } | undefined;

/** The stack's config as the engine passes it to the pack (PULUMI_CONFIG, JSON). */
export function stackConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const text = env.PULUMI_CONFIG ?? env.PULUMI_NODEJS_CONFIG;
  if (cachedConfig && cachedConfig.text === text) return cachedConfig.value;
  let value: Record<string, unknown> = {};
  try {
    value = text ? rec(JSON.parse(text)) : {};
  } catch {
    value = {};
  }
  cachedConfig = { text, value };
  return value;
}

/**
 * Parses a Pulumi property path as `ignoreChanges` takes it (`ami`, `["ami"]`, `a.b`, `a[0].b`, `a[*]`,
 * `tags["Name"]`, `*`) into segments; list indexes become `[]`, wildcards `*`. undefined when malformed.
 */
export function parsePropertyPath(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const s = text.trim();
  if (s === "") return undefined;
  while (i < s.length) {
    if (s[i] === "[") {
      const close = s.indexOf("]", i);
      if (close < 0) return undefined;
      const inner = s.slice(i + 1, close).trim();
      if (inner === "*") out.push("*");
      else if (/^[0-9]+$/.test(inner)) out.push("[]");
      else {
        const m = /^"((?:[^"\\]|\\.)*)"$/.exec(inner);
        if (!m) return undefined;
        out.push(m[1].replace(/\\(.)/g, "$1"));
      }
      i = close + 1;
      if (s[i] === ".") i++;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== "." && s[j] !== "[") j++;
    const name = s.slice(i, j);
    if (name === "") return undefined;
    out.push(name);
    i = s[j] === "." ? j + 1 : j;
  }
  return out;
}

/**
 * True when ignoring `ignored` (an ignoreChanges entry) ignores changes to the value at `path` (a table path
 * or a concrete path): one is a prefix of the other, segment by segment, `*` and list indexes matching any.
 * A malformed entry counts as covering (fail closed; the engine rejects it anyway).
 */
export function ignoreCovers(ignored: string, path: string): boolean {
  const a = parsePropertyPath(ignored);
  const b = parsePropertyPath(path.replace(/\[\]/g, "[0]"));
  if (!a || !b) return true;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === "*" || b[i] === "*" || a[i] === b[i]) continue;
    return false;
  }
  return true;
}
