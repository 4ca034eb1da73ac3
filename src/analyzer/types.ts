/**
 * Plain shapes of what crosses the `pulumirpc.Analyzer` protocol, so callers never touch protobuf messages.
 */

/** The engine's marker for a value that is unknown during preview (sent as this string inside a Struct). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The enforcement levels, in the order of the protocol's `pulumirpc.EnforcementLevel` enum (a test holds them to
 * it); the one list every reader of a level uses. The client encodes a level by its enum name, never by index.
 */
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

export type PolicySeverity = "unspecified" | "low" | "medium" | "high" | "critical";
export type PolicyType = "unknown" | "resource" | "stack";

/** A JSON value, as a google.protobuf.Struct can carry it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface PolicyConfigSchema {
  properties: JsonObject;
  required: string[];
}

export interface PolicyInfo {
  name: string;
  displayName: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  policyType: PolicyType;
  severity: PolicySeverity;
  configSchema?: PolicyConfigSchema;
}

export interface PolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: JsonObject;
}

export interface AnalyzerInfo {
  name: string;
  displayName: string;
  version: string;
  supportsConfig: boolean;
  description: string;
  policies: PolicyInfo[];
  initialConfig: Record<string, PolicyConfig>;
}

export interface ResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  aliases?: string[];
  additionalSecretOutputs?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
  parent?: string;
}

/** The provider resource of a resource, with its inputs (e.g. `region`). */
export interface ProviderResource {
  type: string;
  name: string;
  urn: string;
  properties: JsonObject;
}

/**
 * One resource as the engine describes it to an analyzer. `properties` are Pulumi-serialized property values:
 * plain JSON, with {@link UNKNOWN_VALUE} for unknowns and the runtime's signature objects for secrets.
 */
export interface AnalyzedResource {
  type: string;
  name: string;
  urn: string;
  properties: JsonObject;
  options: ResourceOptions;
  provider?: ProviderResource;
  /** Only sent with AnalyzeStack. */
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  /** The resource the diagnostic is about; empty when the pack did not name one. */
  urn: string;
  severity: PolicySeverity;
}

export interface NotApplicable {
  policyName: string;
  reason: string;
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: NotApplicable[];
}

export interface StackConfiguration {
  stack: string;
  project: string;
  organization: string;
  dryRun: boolean;
  tags?: Record<string, string>;
  config?: Record<string, string>;
  configSecretKeys?: string[];
}
