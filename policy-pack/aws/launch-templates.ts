/**
 * Launch templates referenced from outside the resource: an Instance, Spot Fleet, EC2 Fleet, Auto Scaling
 * group, EKS node group or Batch compute environment that launches whatever AMI a launch template version
 * names. Reads the references from the inputs (pure, never throws), and looks the versions up with EC2
 * DescribeLaunchTemplateVersions (batched per tick and template, each version asked once per process) or in
 * the `LaunchTemplateVersions` list of an inventory file (the shape of
 * `aws ec2 describe-launch-template-versions --output json`).
 */
import { TickBatcher } from "../rules/batch";
import { CallBudget } from "./budget";
import { ec2Sdk } from "./sdk";
import { InventoryError, defaultClientFor, describeError, errorName, type Ec2Like } from "./lookup";
import { UNKNOWN, isUnknown, list, rec, str, type Unknown } from "../rules/values";

/** A launch template version as a resource names it. */
export interface TemplateRef {
  id?: string;
  name?: string;
  /** `$Default`, `$Latest` or a version number, as text; `$Default` when the resource names none. */
  version: string;
}

/** One launch template reference of a resource: where, and the template (UNKNOWN when not known at preview). */
export interface TemplateReference {
  path: string;
  template: TemplateRef | Unknown;
}

/** The types that can launch from a launch template given by id or name, with how each names it. */
export const TEMPLATE_REFERRERS: readonly string[] = [
  "aws:ec2/instance:Instance",
  "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
  "aws:ec2/spotFleetRequest:SpotFleetRequest",
  "aws:ec2/fleet:Fleet",
  "aws:autoscaling/group:Group",
  "aws:eks/nodeGroup:NodeGroup",
  "aws:batch/computeEnvironment:ComputeEnvironment",
  "aws:gamelift/gameServerGroup:GameServerGroup",
  "aws-native:ec2:Instance",
  "aws-native:ec2:SpotFleet",
  "aws-native:ec2:Ec2Fleet",
  "aws-native:autoscaling:AutoScalingGroup",
  "aws-native:eks:Nodegroup",
  "aws-native:batch:ComputeEnvironment",
  "aws-native:pcs:ComputeNodeGroup",
];

/** A specification object with its id/name keys, read into a TemplateReference. */
function spec(path: string, value: unknown, idKey: string, nameKey: string): TemplateReference[] {
  if (value === undefined || value === null) return [];
  if (isUnknown(value)) return [{ path, template: UNKNOWN }];
  const r = rec(Array.isArray(value) ? value[0] : value);
  const id = str(r[idKey]);
  const name = str(r[nameKey]);
  const version = str(r.version);
  if (id === undefined && name === undefined) return [];
  if (id === UNKNOWN || (id === undefined && name === UNKNOWN) || version === UNKNOWN)
    return [{ path, template: UNKNOWN }];
  return [
    {
      path,
      template: {
        id: id as string | undefined,
        name: id === undefined ? (name as string) : undefined,
        version: (version as string | undefined) ?? "$Default",
      },
    },
  ];
}

/** Every item of a list input, with its index; an unknown list is one unknown reference. */
function each(
  path: string,
  value: unknown,
  fn: (item: Record<string, unknown>, at: string) => TemplateReference[],
): TemplateReference[] {
  const items = list(value);
  if (items === UNKNOWN) return [{ path, template: UNKNOWN }];
  return items.flatMap((item, i) =>
    isUnknown(item) ? [{ path: `${path}[${i}]`, template: UNKNOWN }] : fn(rec(item), `${path}[${i}]`),
  );
}

function first(value: unknown): Record<string, unknown> | Unknown {
  if (isUnknown(value)) return UNKNOWN;
  const l = list(value);
  return l === UNKNOWN ? UNKNOWN : rec(l[0]);
}

/** An Auto Scaling group's templates: its own, the mixed instances policy's, and each override's. */
function groupRefs(props: Record<string, unknown>, idKey: string, nameKey: string): TemplateReference[] {
  const out = spec("launchTemplate", props.launchTemplate, idKey, nameKey);
  const mip = first(props.mixedInstancesPolicy);
  if (mip === UNKNOWN) return [...out, { path: "mixedInstancesPolicy", template: UNKNOWN }];
  const lt = first(mip.launchTemplate);
  if (lt === UNKNOWN) return [...out, { path: "mixedInstancesPolicy.launchTemplate", template: UNKNOWN }];
  const base = "mixedInstancesPolicy.launchTemplate";
  out.push(
    ...spec(
      `${base}.launchTemplateSpecification`,
      lt.launchTemplateSpecification,
      "launchTemplateId",
      "launchTemplateName",
    ),
  );
  if (lt.overrides !== undefined)
    out.push(
      ...each(`${base}.overrides`, lt.overrides, (o, at) =>
        spec(
          `${at}.launchTemplateSpecification`,
          o.launchTemplateSpecification,
          "launchTemplateId",
          "launchTemplateName",
        ),
      ),
    );
  return out;
}

/** A Batch compute environment's template, unless the environment names the AMI itself. */
function batchRefs(props: Record<string, unknown>, configsKey: string): TemplateReference[] {
  const cr = first(props.computeResources);
  if (cr === UNKNOWN) return [{ path: "computeResources", template: UNKNOWN }];
  if (str(cr.imageId) !== undefined) return [];
  const configs = list(cr[configsKey]);
  // Batch uses an ec2Configuration's imageIdOverride before the template's AMI: only when every
  // configuration overrides it is the template's image never launched.
  if (
    configs !== UNKNOWN &&
    configs.length > 0 &&
    configs.every((c) => !isUnknown(c) && str(rec(c).imageIdOverride) !== undefined)
  )
    return [];
  const lt = cr.launchTemplate;
  const out = spec("computeResources.launchTemplate", lt, "launchTemplateId", "launchTemplateName");
  const overrides = isUnknown(lt) ? undefined : rec(Array.isArray(lt) ? lt[0] : lt).overrides;
  if (overrides !== undefined)
    out.push(
      ...each("computeResources.launchTemplate.overrides", overrides, (o, at) =>
        spec(at, o, "launchTemplateId", "launchTemplateName"),
      ),
    );
  return out;
}

/**
 * The launch templates a resource launches from, where it names no AMI of its own. [] for other types.
 * Never throws.
 */
export function launchTemplateReferences(type: string, props: Record<string, unknown>): TemplateReference[] {
  switch (type) {
    case "aws:ec2/instance:Instance":
    case "aws:ec2/spotInstanceRequest:SpotInstanceRequest":
      return str(props.ami) === undefined ? spec("launchTemplate", props.launchTemplate, "id", "name") : [];
    case "aws-native:ec2:Instance":
      return str(props.imageId) === undefined
        ? spec("launchTemplate", props.launchTemplate, "launchTemplateId", "launchTemplateName")
        : [];
    case "aws:ec2/spotFleetRequest:SpotFleetRequest":
      if (props.launchTemplateConfigs === undefined) return [];
      return each("launchTemplateConfigs", props.launchTemplateConfigs, (c, at) =>
        spec(`${at}.launchTemplateSpecification`, c.launchTemplateSpecification, "id", "name"),
      );
    case "aws-native:ec2:SpotFleet": {
      const data = first(props.spotFleetRequestConfigData);
      if (data === UNKNOWN) return [{ path: "spotFleetRequestConfigData", template: UNKNOWN }];
      if (data.launchTemplateConfigs === undefined) return [];
      return each("spotFleetRequestConfigData.launchTemplateConfigs", data.launchTemplateConfigs, (c, at) =>
        spec(
          `${at}.launchTemplateSpecification`,
          c.launchTemplateSpecification,
          "launchTemplateId",
          "launchTemplateName",
        ),
      );
    }
    case "aws:ec2/fleet:Fleet":
    case "aws-native:ec2:Ec2Fleet":
      if (props.launchTemplateConfigs === undefined) return [];
      return each("launchTemplateConfigs", props.launchTemplateConfigs, (c, at) =>
        spec(
          `${at}.launchTemplateSpecification`,
          c.launchTemplateSpecification,
          "launchTemplateId",
          "launchTemplateName",
        ),
      );
    case "aws:autoscaling/group:Group":
      return groupRefs(props, "id", "name");
    case "aws-native:autoscaling:AutoScalingGroup":
      return groupRefs(props, "launchTemplateId", "launchTemplateName");
    case "aws:eks/nodeGroup:NodeGroup":
    case "aws-native:eks:Nodegroup":
    case "aws:gamelift/gameServerGroup:GameServerGroup":
      return spec("launchTemplate", props.launchTemplate, "id", "name");
    case "aws:batch/computeEnvironment:ComputeEnvironment":
      return batchRefs(props, "ec2Configurations");
    case "aws-native:batch:ComputeEnvironment":
      return batchRefs(props, "ec2Configuration");
    case "aws-native:pcs:ComputeNodeGroup":
      return str(props.amiId) === undefined
        ? spec("customLaunchTemplate", props.customLaunchTemplate, "templateId", "name")
        : [];
    default:
      return [];
  }
}

/** The template and version for messages: `launch template lt-0abc (version $Default)`. */
export function describeTemplate(t: TemplateRef): string {
  return `launch template ${t.id ?? `named "${t.name}"`} (version ${t.version})`;
}

/** What a launch template version says about its image. */
export type TemplateLookup =
  | {
      kind: "found";
      templateId?: string;
      templateName?: string;
      versionNumber?: number;
      /** The version's `ImageId` (an AMI id or a `resolve:ssm:` reference); undefined when it names none. */
      imageId?: string;
    }
  | { kind: "not-found"; region: string; cause: string }
  | { kind: "error"; region: string; cause: string };

export interface TemplateSource {
  /** Looks one template version up in a region. Never rejects. */
  version(t: TemplateRef, region: string): Promise<TemplateLookup>;
  /** How many EC2 API calls were made (0 for an inventory). */
  readonly calls: { describeLaunchTemplateVersions: number };
}

/** One version as DescribeLaunchTemplateVersions (SDK or CLI JSON) gives it. */
export interface RawTemplateVersion {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  VersionNumber?: number;
  DefaultVersion?: boolean;
  LaunchTemplateData?: { ImageId?: string };
}

const VERSION = /^(\$Default|\$Latest|[1-9][0-9]{0,18})$/;

/** An error look-up for a version EC2 would refuse; undefined for a good one. */
function badVersion(t: TemplateRef, region: string): TemplateLookup | undefined {
  return VERSION.test(t.version)
    ? undefined
    : {
        kind: "error",
        region,
        cause: `"${t.version}" is not a version EC2 accepts ($Default, $Latest or a version number)`,
      };
}

/** The version of `versions` (all of one template) that `wanted` names. */
function pick(versions: readonly RawTemplateVersion[], wanted: string): RawTemplateVersion | undefined {
  if (wanted === "$Default") return versions.find((v) => v.DefaultVersion === true);
  if (wanted === "$Latest")
    return versions.reduce<RawTemplateVersion | undefined>(
      (best, v) => (best === undefined || Number(v.VersionNumber) > Number(best.VersionNumber) ? v : best),
      undefined,
    );
  return versions.find((v) => Number(v.VersionNumber) === Number(wanted));
}

function found(v: RawTemplateVersion): TemplateLookup {
  const image = v.LaunchTemplateData?.ImageId;
  return {
    kind: "found",
    templateId: v.LaunchTemplateId,
    templateName: v.LaunchTemplateName,
    versionNumber: typeof v.VersionNumber === "number" ? v.VersionNumber : undefined,
    imageId: typeof image === "string" && image.trim() !== "" ? image.trim() : undefined,
  };
}

function ofTemplate(v: RawTemplateVersion, t: TemplateRef): boolean {
  return t.id !== undefined ? v.LaunchTemplateId === t.id : v.LaunchTemplateName === t.name;
}

/** Versions from the `LaunchTemplateVersions` list of an inventory document, validated; [] when absent. */
export function templateVersionsOfInventory(doc: unknown, file: string): RawTemplateVersion[] {
  const raw = (doc as { LaunchTemplateVersions?: unknown } | null)?.LaunchTemplateVersions;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    throw new InventoryError(
      file,
      `${file}: "LaunchTemplateVersions" must be a list in the shape of 'aws ec2 describe-launch-template-versions --output json'`,
    );
  }
  return raw.map((v, i) => {
    const r = (v ?? {}) as Record<string, unknown>;
    const version = Number(r.VersionNumber);
    if (
      (typeof r.LaunchTemplateId !== "string" && typeof r.LaunchTemplateName !== "string") ||
      !Number.isInteger(version)
    ) {
      throw new InventoryError(
        file,
        `${file}: LaunchTemplateVersions[${i}] needs a LaunchTemplateId or LaunchTemplateName and a VersionNumber`,
      );
    }
    const data = rec(r.LaunchTemplateData);
    return {
      LaunchTemplateId: typeof r.LaunchTemplateId === "string" ? r.LaunchTemplateId : undefined,
      LaunchTemplateName: typeof r.LaunchTemplateName === "string" ? r.LaunchTemplateName : undefined,
      VersionNumber: version,
      DefaultVersion: r.DefaultVersion === true || r.DefaultVersion === "true",
      LaunchTemplateData: { ImageId: typeof data.ImageId === "string" ? data.ImageId : undefined },
    };
  });
}

/** Launch template versions from an inventory file; no EC2 call is ever made. */
export class InventoryTemplateSource implements TemplateSource {
  readonly calls = { describeLaunchTemplateVersions: 0 };
  constructor(
    private readonly versions: readonly RawTemplateVersion[],
    private readonly file: string,
  ) {}

  async version(t: TemplateRef, region: string): Promise<TemplateLookup> {
    const bad = badVersion(t, region);
    if (bad) return bad;
    const v = pick(
      this.versions.filter((x) => ofTemplate(x, t)),
      t.version,
    );
    if (v) return found(v);
    return {
      kind: "error",
      region,
      cause: `the inventory ${this.file} does not hold this version (add it to "LaunchTemplateVersions": aws ec2 describe-launch-template-versions --launch-template-${t.id ? `id ${t.id}` : `name ${t.name}`} --versions '${t.version}' --region ${region} --output json)`,
    };
  }
}

export interface Ec2TemplateSourceOptions {
  clientFor?: (region: string) => Ec2Like;
  /** The budget every call is sent through (./budget); default a new one (AMI_GUARD_LOOKUP_BUDGET_MS). */
  budget?: CallBudget;
}

const NOT_FOUND = new Set([
  "InvalidLaunchTemplateId.NotFound",
  "InvalidLaunchTemplateName.NotFoundException",
  "InvalidLaunchTemplateId.VersionNotFound",
  "InvalidLaunchTemplateId.Malformed",
  "InvalidLaunchTemplateName.MalformedException",
]);
const MAX_VERSIONS = 20;

/** Launch template versions from EC2, batched per tick and template, cached for the life of the process. */
export class Ec2TemplateSource implements TemplateSource {
  readonly calls = { describeLaunchTemplateVersions: 0 };
  private readonly templates = new Map<string, { region: string; t: TemplateRef }>();
  private readonly batcher = new TickBatcher<TemplateLookup>(
    (group, versions) => {
      const { region, t } = this.templates.get(group)!;
      return this.describe(region, t, versions);
    },
    MAX_VERSIONS,
    (_key, cause) => ({ kind: "error", region: "", cause }),
  );

  private readonly budget: CallBudget;

  private readonly client: (region: string) => Ec2Like;

  constructor(options: Ec2TemplateSourceOptions = {}) {
    this.budget = options.budget ?? new CallBudget();
    this.client = this.budget.clientsFor("ec2", options.clientFor ?? defaultClientFor, describeError);
  }

  async version(t: TemplateRef, region: string): Promise<TemplateLookup> {
    const bad = badVersion(t, region);
    if (bad) return bad;
    const group = `${region}\u0000${t.id !== undefined ? `id:${t.id}` : `name:${t.name}`}`;
    this.templates.set(group, { region, t: { id: t.id, name: t.name, version: "" } });
    return this.batcher.get(group, t.version);
  }

  /** One DescribeLaunchTemplateVersions for `versions` of one template; a not-found error splits the batch. */
  private async describe(
    region: string,
    t: TemplateRef,
    versions: string[],
  ): Promise<Map<string, TemplateLookup>> {
    const out = new Map<string, TemplateLookup>();
    try {
      const { DescribeLaunchTemplateVersionsCommand } = ec2Sdk();
      this.calls.describeLaunchTemplateVersions++;
      const resp = (await this.client(region).send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(t.id !== undefined ? { LaunchTemplateId: t.id } : { LaunchTemplateName: t.name }),
          Versions: versions,
        }),
      )) as { LaunchTemplateVersions?: unknown } | undefined;
      if (!resp || typeof resp !== "object" || !Array.isArray(resp.LaunchTemplateVersions)) {
        throw Object.assign(
          new Error("EC2 answered DescribeLaunchTemplateVersions with a malformed response"),
          {
            name: "MalformedResponse",
          },
        );
      }
      const mine = (resp.LaunchTemplateVersions as RawTemplateVersion[]).filter(
        (v) => v && typeof v === "object" && ofTemplate(v, t) && Number.isInteger(Number(v.VersionNumber)),
      );
      for (const wanted of versions) {
        const v = pick(mine, wanted);
        out.set(
          wanted,
          v
            ? found(v)
            : {
                kind: "error",
                region,
                cause:
                  "MalformedResponse: EC2's DescribeLaunchTemplateVersions answer did not include this version",
              },
        );
      }
    } catch (e) {
      const name = errorName(e);
      if (NOT_FOUND.has(name) && versions.length > 1) {
        const mid = Math.ceil(versions.length / 2);
        const [a, b] = await Promise.all([
          this.describe(region, t, versions.slice(0, mid)),
          this.describe(region, t, versions.slice(mid)),
        ]);
        for (const [k, v] of [...a, ...b]) out.set(k, v);
      } else {
        const cause = describeError(e);
        for (const v of versions)
          out.set(
            v,
            NOT_FOUND.has(name) ? { kind: "not-found", region, cause } : { kind: "error", region, cause },
          );
      }
    }
    return out;
  }
}
