/**
 * The `--policy-pack-config` file: read it, validate it against the policies' config schemas from
 * GetAnalyzerInfo (as the engine does, with ajv), and turn it into the Configure request the engine sends.
 */
import * as path from "node:path";
import Ajv, { type ErrorObject } from "ajv";
import { MAX_CONFIG_BYTES } from "ami-guard-policies/aws/files";
import { UserError } from "../cli/errors";
import { readInputDocument } from "../cli/files";
import {
  ENFORCEMENT_LEVELS,
  type AnalyzerInfo,
  type EnforcementLevel,
  type JsonObject,
  type PolicyConfig,
} from "../analyzer/types";

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

/** Reads the file as JSON (a regular file of at most 1 MiB); a UserError names the file when it is not. */
export function readPolicyConfigFile(file: string): unknown {
  return readInputDocument(file, "policy pack config", { maxBytes: MAX_CONFIG_BYTES, format: "json" });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describe(policy: string, e: ErrorObject): string {
  const at = e.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^[0-9]+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), policy);
  if (e.keyword === "additionalProperties") {
    return `${at}.${(e.params as { additionalProperty: string }).additionalProperty} is not a property of policy ${policy}`;
  }
  if (e.keyword === "required") {
    return `${at}.${(e.params as { missingProperty: string }).missingProperty} is required`;
  }
  if (e.keyword === "enum") {
    return `${at} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return `${at} ${e.message ?? "is invalid"}`;
}

/**
 * Validates the config document against the pack's policies and returns the Configure map for every policy
 * (levels and properties with the schema defaults applied, as the engine sends them). Throws UserError naming
 * the file and the property.
 */
export function buildPolicyConfig(
  info: AnalyzerInfo,
  doc: unknown,
  file: string | undefined,
): Record<string, PolicyConfig> {
  const where = file ? rel(file) : "policy pack config";
  const names = info.policies.map((p) => p.name);
  const entries: Record<string, unknown> = {};
  if (doc !== undefined) {
    if (!isRecord(doc))
      throw new UserError(`${where} must be a JSON object mapping policy names to their configuration`);
    Object.assign(entries, doc);
  }
  const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: false });
  let allLevel: EnforcementLevel | undefined;
  if ("all" in entries) {
    const v = entries.all;
    const level = typeof v === "string" ? v : isRecord(v) ? v.enforcementLevel : undefined;
    if (
      !ENFORCEMENT_LEVELS.includes(level as EnforcementLevel) ||
      (isRecord(v) && Object.keys(v).some((k) => k !== "enforcementLevel"))
    ) {
      throw new UserError(`${where}: all must be an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
    }
    allLevel = level as EnforcementLevel;
  }
  for (const key of Object.keys(entries)) {
    if (key !== "all" && !names.includes(key)) {
      throw new UserError(
        `${where}: ${key} is not a policy of pack ${info.name} (policies: ${names.join(", ")})`,
      );
    }
  }
  const out: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const raw = entries[p.name];
    const schemaProps = p.configSchema?.properties ?? {};
    const schema = {
      type: "object",
      properties: { ...schemaProps, enforcementLevel: { enum: [...ENFORCEMENT_LEVELS] } },
      required: p.configSchema?.required ?? [],
      additionalProperties: false,
    };
    let level: EnforcementLevel = allLevel ?? p.enforcementLevel;
    const properties: JsonObject = {};
    for (const [k, s] of Object.entries(schemaProps)) {
      if (isRecord(s) && s.default !== undefined) properties[k] = JSON.parse(JSON.stringify(s.default));
    }
    if (raw !== undefined) {
      if (typeof raw === "string") {
        if (!ENFORCEMENT_LEVELS.includes(raw as EnforcementLevel)) {
          throw new UserError(
            `${where}: ${p.name} must be an enforcement level (${ENFORCEMENT_LEVELS.join(", ")}) or an object`,
          );
        }
        level = raw as EnforcementLevel;
      } else {
        const validate = ajv.compile(schema);
        if (!validate(raw)) {
          throw new UserError(`${where}: ${describe(p.name, validate.errors![0])}`);
        }
        const r = raw as Record<string, unknown>;
        if (typeof r.enforcementLevel === "string") level = r.enforcementLevel as EnforcementLevel;
        for (const [k, v] of Object.entries(r))
          if (k !== "enforcementLevel") properties[k] = v as JsonObject[string];
      }
    } else if ((p.configSchema?.required ?? []).length > 0) {
      throw new UserError(`${where}: policy ${p.name} needs ${p.configSchema!.required.join(", ")}`);
    }
    out[p.name] = { enforcementLevel: level, properties };
  }
  return out;
}
