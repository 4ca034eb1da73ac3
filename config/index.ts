export { ConfigError } from "./errors";
export {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  NAMESPACE,
  OTHER_KEYS,
  REFINEMENTS,
  type ConfigKey,
  type ConfigValues,
} from "./schema";
export {
  ACCOUNT_ROLES,
  cadenceToCron,
  parseConfig,
  projectDefaults,
  qualified,
  stackFileOf,
  type AccountRole,
  type AllowedImagesState,
  type AmiGuardConfig,
  type FleetAmiSource,
  type InspectorResourceType,
  type SnapshotBlockPublicAccessState,
} from "./parse";
export { loadConfig } from "./load";
