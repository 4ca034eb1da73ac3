/**
 * What each AWS resource type does with AMIs, read from its inputs as the engine sends them: the AMIs it
 * uses, the AMI it makes, the launch permissions it grants. Pure functions over plain props (see values.ts).
 */
import type { LaunchPermission } from "./facts";
import { UNKNOWN, bool, isUnknown, list, rec, str, strList, tags, type Unknown } from "./values";

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
} as const;

/** Resource types that launch instances from an AMI. */
export const LAUNCHERS: readonly string[] = [
  TYPES.instance,
  TYPES.launchTemplate,
  TYPES.launchConfiguration,
  TYPES.spotInstanceRequest,
  TYPES.spotFleetRequest,
];

/** Resource types that make an AMI. */
export const MAKERS: readonly string[] = [
  TYPES.amiCopy,
  TYPES.ami,
  TYPES.amiFromInstance,
  TYPES.distribution,
];

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
}

/** The input properties that hold an AMI id, per type; used for messages and the ignoreChanges rule. */
export const AMI_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  [TYPES.instance]: ["ami"],
  [TYPES.launchTemplate]: ["imageId"],
  [TYPES.launchConfiguration]: ["imageId"],
  [TYPES.spotInstanceRequest]: ["ami"],
  [TYPES.spotFleetRequest]: ["launchSpecifications"],
  [TYPES.imageRecipe]: ["parentImage"],
  [TYPES.amiCopy]: ["sourceAmiId"],
};

export const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** The AMIs a resource uses, or [] for a type that uses none. Never throws. */
export function amiUses(type: string, props: Record<string, unknown>): AmiUse[] {
  const one = (path: string, purpose: AmiPurpose, region?: string | Unknown): AmiUse[] => {
    const v = str(props[path]);
    return v === undefined ? [] : [{ imageId: v, path, purpose, region }];
  };
  switch (type) {
    case TYPES.instance:
    case TYPES.spotInstanceRequest:
      return one("ami", "deploy");
    case TYPES.launchTemplate:
    case TYPES.launchConfiguration:
      return one("imageId", "deploy");
    case TYPES.spotFleetRequest: {
      const specs = list(props.launchSpecifications);
      if (specs === UNKNOWN) return [{ imageId: UNKNOWN, path: "launchSpecifications", purpose: "deploy" }];
      const out: AmiUse[] = [];
      specs.forEach((spec, i) => {
        const v = isUnknown(spec) ? UNKNOWN : str(rec(spec).ami);
        if (v !== undefined)
          out.push({ imageId: v, path: `launchSpecifications[${i}].ami`, purpose: "deploy" });
      });
      return out;
    }
    case TYPES.imageRecipe: {
      const v = str(props.parentImage);
      // An Image Builder image ARN is judged by its owner (see imageBuilderArnOwner), not looked up.
      if (v === undefined || (typeof v === "string" && v.startsWith("arn:"))) return [];
      return [{ imageId: v, path: "parentImage", purpose: "source" }];
    }
    case TYPES.amiCopy:
      return one("sourceAmiId", "source", str(props.sourceAmiRegion));
    default:
      return [];
  }
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
    case TYPES.distribution: {
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
          out.push({
            path: where,
            encrypted: undefined,
            kmsKeyId: undefined,
            tags: {},
            launchPermissions: [],
          });
          return;
        }
        const conf = rec(amiConfRaw);
        const kmsKeyId = str(conf.kmsKeyId);
        out.push({
          path: `${where}.amiDistributionConfiguration`,
          encrypted: kmsKeyId === UNKNOWN ? UNKNOWN : kmsKeyId !== undefined ? true : undefined,
          kmsKeyId,
          tags: tags(conf.amiTags),
          launchPermissions: distributionPermissions(conf),
        });
      });
      return out;
    }
    default:
      return [];
  }
}

function distributionPermissions(conf: Record<string, unknown>): LaunchPermission[] | Unknown {
  const out: LaunchPermission[] = [];
  const lp = conf.launchPermission;
  if (isUnknown(lp)) return UNKNOWN;
  const perms = list(lp);
  if (perms === UNKNOWN) return UNKNOWN;
  for (const p of perms) {
    const r = rec(p);
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
 * `region`, the stack's `aws:region`, then AWS_REGION / AWS_DEFAULT_REGION.
 */
export function resolveRegion(
  props: Record<string, unknown>,
  providerProps: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | Unknown | undefined {
  const own = str(props.region);
  if (own !== undefined) return own;
  const fromProvider = providerProps ? str(providerProps.region) : undefined;
  if (fromProvider !== undefined) return fromProvider;
  const stack = stackConfig(env)["aws:region"];
  if (typeof stack === "string" && stack !== "") return stack;
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
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
