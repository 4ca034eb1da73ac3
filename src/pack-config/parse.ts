/**
 * The one reader of a policy pack configuration (`--policy-pack-config`, the audit's `--config`, the auditor's
 * AMI_GUARD_POLICY_CONFIG): policy name → an enforcement level, or `{enforcementLevel?, …properties}`, and
 * `all` → an enforcement level. Every property is checked by the pack's own validator (`resolveSettings`,
 * which the pack runs on its configuration at start), so the CLI and the pack never disagree about what is
 * valid. The offline preview then checks the file against the pack it runs ({@link toConfigure}), as the engine
 * does. Every problem is one UserError `<where>: <what>` naming the policy and the property.
 */
import {
  resolveSettings,
  SettingsError,
  type AmiGuardSettings,
  type SettingName,
} from "ami-guard-policies/rules/settings";
import { UserError } from "../cli/errors";
import {
  ENFORCEMENT_LEVELS,
  type AnalyzerInfo,
  type EnforcementLevel,
  type JsonObject,
  type PolicyConfig,
} from "../analyzer/types";

/** One policy's section of the file. */
export interface PolicySection {
  /** The level the file sets for this policy (itself, not through `all`). */
  readonly level?: EnforcementLevel;
  /** The properties the file sets, as written (`enforcementLevel` apart). */
  readonly properties: Readonly<Partial<Record<SettingName, unknown>>>;
  /**
   * Those properties, checked by the pack's validator and merged over the pack's defaults; undefined when the
   * section is a bare enforcement level.
   */
  readonly settings?: AmiGuardSettings;
}

/** A validated pack configuration. */
export interface PackConfig {
  /** Where it came from, as errors name it (a file, a variable, or "the pack's defaults"). */
  readonly source: string;
  /** The level `all` sets for every policy without its own. */
  readonly all?: EnforcementLevel;
  /** The policies the file names, in its order. */
  readonly policies: ReadonlyMap<string, PolicySection>;
}

const LEVELS = `${ENFORCEMENT_LEVELS.join(", ")}`;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

/**
 * Validates a parsed configuration document (`undefined`: no file, the pack's defaults). `where` names it in
 * errors. Throws UserError naming the first bad policy or property.
 */
export function parsePackConfig(doc: unknown, where: string): PackConfig {
  const fail = (what: string): never => {
    throw new UserError(`${where}: ${what}`);
  };
  if (doc === undefined) return { source: where, policies: new Map() };
  if (!isRecord(doc)) fail("the configuration must be an object mapping policy names to their settings");
  let all: EnforcementLevel | undefined;
  const policies = new Map<string, PolicySection>();
  for (const [name, section] of Object.entries(doc as Record<string, unknown>)) {
    if (name === "all") {
      const level = isRecord(section) ? section.enforcementLevel : section;
      if (!isLevel(level) || (isRecord(section) && Object.keys(section).length !== 1))
        fail(`all must be an enforcement level (${LEVELS})`);
      all = level as EnforcementLevel;
      continue;
    }
    if (isLevel(section)) {
      policies.set(name, { level: section, properties: {} });
      continue;
    }
    if (!isRecord(section)) fail(`${name} must be an enforcement level (${LEVELS}) or an object`);
    const { enforcementLevel, ...properties } = section as Record<string, unknown>;
    if (enforcementLevel !== undefined && !isLevel(enforcementLevel))
      fail(`${name}.enforcementLevel must be an enforcement level (${LEVELS})`);
    let settings: AmiGuardSettings;
    try {
      // Every section is checked, including policies a command does not run, so a bad value never hides.
      settings = resolveSettings(properties, name);
    } catch (e) {
      if (e instanceof SettingsError) fail(e.message);
      throw e;
    }
    policies.set(name, {
      level: enforcementLevel as EnforcementLevel | undefined,
      properties: properties as PolicySection["properties"],
      settings: settings!,
    });
  }
  return { source: where, all, policies };
}

/**
 * The Configure request the engine would send for `config` to the pack described by `info`: every policy of the
 * pack with its level (its own, else `all`, else the pack's) and its properties (the schema defaults, then the
 * file's). Like the engine, it refuses a policy the pack does not have, a property the policy does not declare,
 * and a missing required property.
 */
export function toConfigure(config: PackConfig, info: AnalyzerInfo): Record<string, PolicyConfig> {
  const fail = (what: string): never => {
    throw new UserError(`${config.source}: ${what}`);
  };
  const names = info.policies.map((p) => p.name);
  for (const name of config.policies.keys()) {
    if (!names.includes(name))
      fail(`${name} is not a policy of pack ${info.name} (policies: ${names.join(", ")})`);
  }
  const out: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const section = config.policies.get(p.name);
    const declared = p.configSchema?.properties ?? {};
    const properties: JsonObject = {};
    for (const [k, s] of Object.entries(declared)) {
      if (isRecord(s) && s.default !== undefined) properties[k] = structuredClone(s.default);
    }
    for (const [k, v] of Object.entries(section?.properties ?? {})) {
      if (!(k in declared)) fail(`${p.name}.${k} is not a property of policy ${p.name}`);
      properties[k] = v as JsonObject[string];
    }
    for (const k of p.configSchema?.required ?? []) {
      if (section?.properties[k as SettingName] === undefined) fail(`policy ${p.name} needs ${k}`);
    }
    out[p.name] = { enforcementLevel: section?.level ?? config.all ?? p.enforcementLevel, properties };
  }
  return out;
}
