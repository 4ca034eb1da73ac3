/**
 * Typed, validated configuration of the AMI Guard program. {@link parseConfig} is pure: it takes the raw
 * config map exactly as Pulumi hands it to the program (`namespace:key` → string; lists and objects as JSON
 * text), parses every key by its row of the config table (config/schema.ts), then checks the rules across
 * keys ({@link REFINEMENTS}), and either returns an {@link AmiGuardConfig} or throws a {@link ConfigError}
 * naming the key and the stack file. Nothing here touches the Pulumi engine, so it is tested without mocks.
 */
import { REGION } from "ami-guard-policies/rules/patterns";
import { ConfigError } from "./errors";
import {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  NAMESPACE,
  REFINEMENTS,
  type ConfigKey,
  type ConfigValues,
} from "./schema";
import { KeyProblem, type AccountRole, type Check, type KeySpec, type ValueOf } from "./spec";

export { ACCOUNT_ROLES, type AccountRole } from "./spec";

type Value<K extends ConfigKey> = ValueOf<(typeof CONFIG_SCHEMA)[K]>;
export type AllowedImagesState = Value<"allowedImagesState">;
export type SnapshotBlockPublicAccessState = Value<"snapshotBlockPublicAccessState">;
export type InspectorResourceType = Value<"inspectorResourceTypes">[number];

/** Where the fleet's AMI comes from: the image this stack's own pipeline builds, or a fixed AMI id. */
export type FleetAmiSource =
  { readonly kind: "pipeline" } | { readonly kind: "image"; readonly imageId: string };

/**
 * The program's view of the config: the keys grouped by the component that reads them, with the values
 * derived from them. Every leaf's type is its row's (config/schema.ts).
 */
export interface AmiGuardConfig {
  /** The Pulumi stack name. */
  readonly stack: string;
  /** The stack file to edit (`stacks/Pulumi.<stack>.yaml`). */
  readonly stackFile: string;
  /** `aws:region`. */
  readonly region: string;
  readonly environment: Value<"environment">;
  /** The account's place in the estate, and what it shares with the rest of it. */
  readonly estate: {
    readonly role: AccountRole;
    /** Owner account → its owner read role: the pack's `ownerReadRoles` for this stack. */
    readonly ownerReadRoles: Value<"ownerReadRoles">;
    /** image-build: who may assume this account's owner read role. */
    readonly ownerReadRole?: {
      readonly organizationId: Value<"ownerReadRoleOrgId">;
      readonly organizationPaths: Value<"ownerReadRoleOrgPaths">;
      readonly principalArnPatterns: Value<"ownerReadRolePrincipalArnPatterns">;
    };
  };
  /** The AMIs this account uses or makes: root device and size, and the maximum age (every role). */
  readonly ami: {
    readonly rootDeviceName: Value<"rootDeviceName">;
    readonly rootVolumeSizeGiB: Value<"rootVolumeSizeGiB">;
    readonly maxAgeDays: Value<"amiMaxAgeDays">;
  };
  readonly key: {
    readonly deletionWindowDays: Value<"kmsDeletionWindowDays">;
    readonly createAutoScalingServiceLinkedRole: Value<"createAutoScalingServiceLinkedRole">;
  };
  readonly roles: {
    readonly builderPrincipalArns: Value<"builderPrincipalArns">;
    readonly publisherPrincipalArns: Value<"publisherPrincipalArns">;
    readonly deployerPrincipalArns: Value<"deployerPrincipalArns">;
    readonly auditorPrincipalArns: Value<"auditorPrincipalArns">;
  };
  /** The only targets AMIs may be shared with. */
  readonly sharing: {
    readonly accountIds: Value<"sharingAccountIds">;
    readonly organizationArns: Value<"sharingOrganizationArns">;
    readonly organizationalUnitArns: Value<"sharingOrganizationalUnitArns">;
  };
  readonly scp: { readonly enabled: Value<"scpEnabled">; readonly targetIds: Value<"scpTargetIds"> };
  readonly audit: {
    readonly logRetentionDays: Value<"logRetentionDays">;
    readonly trailBucketRetentionDays: Value<"trailBucketRetentionDays">;
  };
  readonly alarms: { readonly emails: Value<"alarmEmails"> };
  readonly scanning: {
    readonly resourceTypes: Value<"inspectorResourceTypes">;
    /** Account made Inspector delegated administrator (run from the management account), if any. */
    readonly delegatedAdminAccountId?: string;
    /** Auto-enable Inspector for new organisation members (run from the delegated administrator). */
    readonly orgAutoEnable: Value<"inspectorOrgAutoEnable">;
  };
  readonly guardrails: {
    readonly allowedImagesState: AllowedImagesState;
    readonly allowedImageProviders: Value<"allowedImageProviders">;
    readonly snapshotBlockPublicAccessState: SnapshotBlockPublicAccessState;
    readonly recycleBinRetentionDays: Value<"recycleBinRetentionDays">;
  };
  /** Undefined for a workload stack (it launches the image-build account's images). */
  readonly pipeline?: {
    readonly parentImage: Value<"parentImage">;
    readonly recipeVersion: Value<"recipeVersion">;
    readonly recipeComponents: Value<"recipeComponents">;
    readonly rootDeviceName: Value<"rootDeviceName">;
    readonly rootVolumeSizeGiB: Value<"rootVolumeSizeGiB">;
    readonly builderInstanceTypes: Value<"builderInstanceTypes">;
    readonly patchCadenceDays: Value<"patchCadenceDays">;
    /** Image Builder cron expression derived from the patch cadence. */
    readonly scheduleExpression: string;
    /** Days after which an AMI we make is deprecated: two patch cycles (one missed build is tolerated). */
    readonly deprecateAfterDays: number;
    readonly amiMaxAgeDays: Value<"amiMaxAgeDays">;
    /** Value of the `Approved` tag on the AMIs this pipeline distributes. */
    readonly approvedTag: Value<"amiApprovedTag">;
  };
  /** Undefined for an image-build stack (it builds and shares; the workload accounts launch). */
  readonly fleet?: {
    readonly ami: FleetAmiSource;
    readonly instanceType: Value<"fleetInstanceType">;
    readonly minSize: Value<"fleetMinSize">;
    readonly maxSize: Value<"fleetMaxSize">;
    readonly desiredCapacity: Value<"fleetDesiredCapacity">;
    readonly subnetIds: Value<"fleetSubnetIds">;
    readonly availabilityZones: Value<"fleetAvailabilityZones">;
    readonly securityGroupIds: Value<"fleetSecurityGroupIds">;
    readonly minHealthyPercentage: Value<"fleetMinHealthyPercentage">;
  };
  /** The AMI auditor function (components/ami-auditor.ts). */
  readonly auditor: {
    /** EventBridge schedule of the full audit. */
    readonly scheduleExpression: Value<"auditorScheduleExpression">;
    /** Regions the scheduled audit covers (the stack's region when the key is empty). */
    readonly regions: Value<"auditorRegions">;
    /** Remove public and non-allow-listed launch permissions from owned images. */
    readonly remediate: Value<"auditorRemediate">;
    /** Enable Security Hub in the account. */
    readonly enableSecurityHub: Value<"auditorEnableSecurityHub">;
  };
}

/** The file a stack's config lives in (Pulumi.yaml sets `stackConfigDir: stacks`). */
export function stackFileOf(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/** The fully qualified name of a key (`ami-guard:<key>`). */
export function qualified(key: ConfigKey): string {
  return `${NAMESPACE}:${key}`;
}

/**
 * The project defaults (the rows with a `default`, as `Pulumi.yaml` declares them) in the raw form the
 * engine hands the program: a pure "stack file → config" reader overlays the stack file's values on these.
 */
export function projectDefaults(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const d = (CONFIG_SCHEMA[key] as KeySpec).default;
    if (d !== undefined) out[qualified(key)] = typeof d === "string" ? d : JSON.stringify(d);
  }
  return out;
}

const passes = (check: Check, v: string): boolean =>
  check.test instanceof RegExp ? check.test.test(v) : check.test(v);

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
    if (k.startsWith(`${NAMESPACE}:`) && !(k.slice(NAMESPACE.length + 1) in CONFIG_SCHEMA)) {
      fail(k, `unknown key (known keys: ${CONFIG_KEYS.join(", ")})`);
    }
  }
  const regionText = raw["aws:region"]?.trim();
  if (regionText === undefined || regionText === "") return fail("aws:region", "is required but not set");
  if (!REGION.test(regionText))
    fail("aws:region", `must be an AWS region name, got ${JSON.stringify(regionText)}`);
  const region = regionText;

  let role: AccountRole = "standalone";
  const values: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    values[key] = parseKey(key, CONFIG_SCHEMA[key], raw[qualified(key)], role, (p) =>
      fail(qualified(key), p),
    );
    if (key === "accountRole") role = values[key] as AccountRole;
  }
  const v = values as ConfigValues;
  for (const r of REFINEMENTS) {
    const problem = r.check(v, region);
    if (problem !== undefined) fail(qualified(r.key), problem);
  }
  return assemble(v, stack, file, region);
}

/** One key by its row: its value, or undefined when the stack's role does not read it. */
function parseKey(
  key: ConfigKey,
  spec: KeySpec,
  text: string | undefined,
  role: AccountRole,
  fail: (problem: string) => never,
): unknown {
  if (spec.scope && !spec.scope.roles.includes(role)) {
    if (text !== undefined && spec.default === undefined)
      fail(`is not used when accountRole is ${role} (${spec.scope.why}): remove it`);
    return undefined;
  }
  const isList = spec.type === "list";
  if (text === undefined || (!isList && spec.type !== "map" && text.trim() === "")) {
    if (spec.type === "map" || (spec.type === "list" && spec.whenUnset !== undefined)) return spec.whenUnset;
    const required = spec.scope
      ? `is required for ${/^[aeiou]/.test(role) ? "an" : "a"} ${role} stack`
      : "is required but not set";
    return fail(isList && !spec.nonEmpty ? `${required} (use [] for none)` : required);
  }
  const got = (x: unknown) => `got ${JSON.stringify(x)}`;
  switch (spec.type) {
    case "string":
    case "enum": {
      const s = text.trim();
      const ok = spec.type === "string" ? passes(spec.valid, s) : spec.values.includes(s);
      if (!ok)
        fail(
          `must be ${spec.type === "string" ? spec.valid.what : `one of ${spec.values.join(", ")}`}, ${got(s)}`,
        );
      return s;
    }
    case "integer": {
      const s = text.trim();
      if (!/^-?[0-9]+$/.test(s))
        fail(`must be a whole number between ${spec.min} and ${spec.max}, ${got(s)}`);
      const n = Number(s);
      if (n < spec.min || n > spec.max) fail(`must be between ${spec.min} and ${spec.max}, got ${n}`);
      if (spec.allowed && !spec.allowed.values.includes(n))
        fail(`must be ${spec.allowed.what} (${spec.allowed.values.join(", ")}), got ${n}`);
      return n;
    }
    case "boolean": {
      const s = text.trim();
      if (s !== "true" && s !== "false") fail(`must be true or false, ${got(s)}`);
      return s === "true";
    }
    case "list": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return fail(`must be a list, ${got(text)}`);
      }
      if (!Array.isArray(parsed)) return fail(`must be a list, ${got(text)}`);
      parsed.forEach((item, i) => {
        if (typeof item !== "string" || !passes(spec.item, item))
          fail(`item ${i} must be ${spec.item.what}, ${got(item)}`);
      });
      if (new Set(parsed).size !== parsed.length) fail("must not repeat items");
      if (spec.nonEmpty && parsed.length === 0) fail("must not be empty");
      if (spec.mustInclude && !parsed.includes(spec.mustInclude.item))
        fail(`must include ${spec.mustInclude.item}: ${spec.mustInclude.because}`);
      return parsed as string[];
    }
    case "map": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return fail(`must be an object of ${spec.what}, ${got(text)}`);
      }
      try {
        return spec.parse(parsed);
      } catch (e) {
        if (e instanceof KeyProblem) return fail(e.message);
        throw e;
      }
    }
  }
}

/** The program's view ({@link AmiGuardConfig}) of the parsed values. */
function assemble(v: ConfigValues, stack: string, stackFile: string, region: string): AmiGuardConfig {
  const role = v.accountRole;
  const pipeline =
    role === "workload"
      ? undefined
      : {
          parentImage: v.parentImage!,
          recipeVersion: v.recipeVersion!,
          recipeComponents: v.recipeComponents!,
          rootDeviceName: v.rootDeviceName,
          rootVolumeSizeGiB: v.rootVolumeSizeGiB,
          builderInstanceTypes: v.builderInstanceTypes!,
          patchCadenceDays: v.patchCadenceDays!,
          scheduleExpression: cadenceToCron(v.patchCadenceDays!),
          deprecateAfterDays: 2 * v.patchCadenceDays!,
          amiMaxAgeDays: v.amiMaxAgeDays,
          approvedTag: v.amiApprovedTag!,
        };
  const fleetAmi = v.fleetAmi;
  const fleet =
    role === "image-build" || fleetAmi === undefined
      ? undefined
      : {
          ami: (fleetAmi === "pipeline"
            ? { kind: "pipeline" }
            : { kind: "image", imageId: fleetAmi }) satisfies FleetAmiSource,
          instanceType: v.fleetInstanceType!,
          minSize: v.fleetMinSize!,
          maxSize: v.fleetMaxSize!,
          desiredCapacity: v.fleetDesiredCapacity!,
          subnetIds: v.fleetSubnetIds!,
          availabilityZones: v.fleetAvailabilityZones!,
          securityGroupIds: v.fleetSecurityGroupIds!,
          minHealthyPercentage: v.fleetMinHealthyPercentage!,
        };
  return {
    stack,
    stackFile,
    region,
    environment: v.environment,
    estate: {
      role,
      ownerReadRoles: v.ownerReadRoles,
      ...(role === "image-build"
        ? {
            ownerReadRole: {
              organizationId: v.ownerReadRoleOrgId!,
              organizationPaths: v.ownerReadRoleOrgPaths!,
              principalArnPatterns: v.ownerReadRolePrincipalArnPatterns!,
            },
          }
        : {}),
    },
    ami: {
      rootDeviceName: v.rootDeviceName,
      rootVolumeSizeGiB: v.rootVolumeSizeGiB,
      maxAgeDays: v.amiMaxAgeDays,
    },
    key: {
      deletionWindowDays: v.kmsDeletionWindowDays,
      createAutoScalingServiceLinkedRole: v.createAutoScalingServiceLinkedRole,
    },
    roles: {
      builderPrincipalArns: v.builderPrincipalArns,
      publisherPrincipalArns: v.publisherPrincipalArns,
      deployerPrincipalArns: v.deployerPrincipalArns,
      auditorPrincipalArns: v.auditorPrincipalArns,
    },
    sharing: {
      accountIds: v.sharingAccountIds,
      organizationArns: v.sharingOrganizationArns,
      organizationalUnitArns: v.sharingOrganizationalUnitArns,
    },
    scp: { enabled: v.scpEnabled, targetIds: v.scpTargetIds },
    audit: { logRetentionDays: v.logRetentionDays, trailBucketRetentionDays: v.trailBucketRetentionDays },
    alarms: { emails: v.alarmEmails },
    scanning: {
      resourceTypes: v.inspectorResourceTypes,
      delegatedAdminAccountId:
        v.inspectorDelegatedAdminAccountId === "none" ? undefined : v.inspectorDelegatedAdminAccountId,
      orgAutoEnable: v.inspectorOrgAutoEnable,
    },
    guardrails: {
      allowedImagesState: v.allowedImagesState,
      allowedImageProviders: v.allowedImageProviders,
      snapshotBlockPublicAccessState: v.snapshotBlockPublicAccessState,
      recycleBinRetentionDays: v.recycleBinRetentionDays,
    },
    pipeline,
    fleet,
    auditor: {
      scheduleExpression: v.auditorScheduleExpression,
      regions: v.auditorRegions.length > 0 ? v.auditorRegions : [region],
      remediate: v.auditorRemediate,
      enableSecurityHub: v.auditorEnableSecurityHub,
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
