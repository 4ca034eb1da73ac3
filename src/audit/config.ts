/**
 * The audit's reading of the policy pack's configuration file (`--policy-pack-config`): policy name → its
 * properties, or an enforcement level. Each rule is judged with its own policy's settings, exactly as the pack
 * would, and a policy set to `disabled` is not audited.
 */
import { MAX_CONFIG_BYTES } from "ami-guard-policies/aws/files";
import { RULES } from "ami-guard-policies/rules/rules";
import { ruleEntry } from "ami-guard-policies/rules/catalogue";
import { resolveSettings, SettingsError, type AmiGuardSettings } from "ami-guard-policies/rules/settings";
import { UserError } from "../cli/errors";
import { readInputDocument } from "../cli/files";
import { GUARDRAIL_RULES } from "ami-guard-policies/rules/guardrails";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

export interface AuditConfig {
  /** Where the configuration came from (a file name, or "the pack's defaults"). */
  readonly source: string;
  /** The settings of the policy (or guardrail rule) `rule`: its section merged over the defaults. */
  settingsFor(rule: string): AmiGuardSettings;
  /** False when the rule's policy is set to `disabled` (itself or through `all`). */
  enabled(rule: string): boolean;
}

/** The rules the audit knows: the pack's AMI rules and the audit's own account guardrail rules. */
export const KNOWN_RULES: readonly string[] = [...Object.values(RULES), ...Object.values(GUARDRAIL_RULES)];

/** Builds the configuration from a parsed document (the file's content); `where` names it in errors. */
export function parseConfig(doc: unknown, where: string): AuditConfig {
  if (doc === undefined || doc === null) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new UserError(
      `${where}: the configuration must be an object mapping policy names to their settings`,
    );
  }
  const settings = new Map<string, AmiGuardSettings>();
  const levels = new Map<string, string>();
  let allLevel: string | undefined;
  const level = (value: unknown, name: string): string => {
    if (typeof value !== "string" || !(ENFORCEMENT_LEVELS as readonly string[]).includes(value)) {
      throw new UserError(`${where}: ${name} must be one of ${ENFORCEMENT_LEVELS.join(", ")}`);
    }
    return value;
  };
  for (const [name, section] of Object.entries(doc as Record<string, unknown>)) {
    if (name === "all") {
      const v =
        section !== null && typeof section === "object"
          ? (section as Record<string, unknown>).enforcementLevel
          : section;
      allLevel = level(v, "all");
      continue;
    }
    if (typeof section === "string") {
      levels.set(name, level(section, name));
      continue;
    }
    try {
      // Every section is checked, including policies the audit does not run, so a bad value never hides.
      settings.set(name, resolveSettings(section, name));
    } catch (e) {
      if (e instanceof SettingsError) throw new UserError(`${where}: ${e.message}`);
      throw e;
    }
    const lv = (section as Record<string, unknown>)?.enforcementLevel;
    if (lv !== undefined) levels.set(name, level(lv, `${name}.enforcementLevel`));
  }
  const defaults = resolveSettings(undefined);
  return {
    source: where,
    settingsFor: (rule) => settings.get(rule) ?? fallback(rule, settings) ?? defaults,
    enabled: (rule) => (levels.get(rule) ?? allLevel) !== "disabled",
  };
}

/** A rule without a section of its own reads its catalogue fallback's (the EBS default-key guardrail: the encryption policy's). */
function fallback(rule: string, settings: Map<string, AmiGuardSettings>): AmiGuardSettings | undefined {
  const other = ruleEntry(rule)?.settingsFallback;
  return other === undefined ? undefined : settings.get(other);
}

/** Reads the configuration file (JSON, or YAML when it ends in .yaml/.yml); no file means the pack's defaults. */
export function loadConfig(file: string | undefined): AuditConfig {
  if (file === undefined) return parseConfig({}, "the pack's defaults");
  const doc = readInputDocument(file, "config", {
    maxBytes: MAX_CONFIG_BYTES,
    format: /\.ya?ml$/i.test(file) ? "yaml" : "json",
  });
  return parseConfig(doc, file);
}
