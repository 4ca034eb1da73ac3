export { ConfigError } from "./errors";
export {
  CONFIG_KEYS,
  NAMESPACE,
  cadenceToCron,
  parseConfig,
  stackFileOf,
  type AllowedImagesState,
  type AmiGuardConfig,
  type ConfigKey,
  type FleetAmiSource,
  type InspectorResourceType,
  type SnapshotBlockPublicAccessState,
} from "./parse";
export { loadConfig } from "./load";
