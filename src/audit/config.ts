/**
 * The audit's view of the policy pack configuration (read and validated by `src/pack-config`, the one reader
 * the preview uses too): each rule is judged with its own policy's settings, exactly as the pack would, and a
 * policy set to `disabled` is not audited.
 */
import { RULES } from "ami-guard-policies/rules/rules";
import { ruleEntry } from "ami-guard-policies/rules/catalogue";
import { GUARDRAIL_RULES } from "ami-guard-policies/rules/guardrails";
import { resolveSettings, type AmiGuardSettings } from "ami-guard-policies/rules/settings";
import { parsePackConfig, type PackConfig } from "../pack-config/parse";
import { readPackConfig } from "../pack-config/read";

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

/** The audit's view of a validated configuration. */
export function auditConfigOf(config: PackConfig): AuditConfig {
  const defaults = resolveSettings(undefined);
  const settings = (rule: string) => config.policies.get(rule)?.settings;
  // A rule without settings of its own reads its catalogue fallback's (the EBS default-key guardrail: the
  // encryption policy's).
  const fallback = (rule: string) => {
    const other = ruleEntry(rule)?.settingsFallback;
    return other === undefined ? undefined : settings(other);
  };
  return {
    source: config.source,
    settingsFor: (rule) => settings(rule) ?? fallback(rule) ?? defaults,
    enabled: (rule) => (config.policies.get(rule)?.level ?? config.all) !== "disabled",
  };
}

/** Builds the configuration from a parsed document (`where` names it in errors). */
export function parseConfig(doc: unknown, where: string): AuditConfig {
  return auditConfigOf(parsePackConfig(doc, where));
}

/** Reads the configuration file (JSON); no file means the pack's defaults. */
export function loadConfig(file: string | undefined): AuditConfig {
  return auditConfigOf(readPackConfig(file));
}
