/**
 * What the preview's parent process and its program runner (a child process: Pulumi's mocks are global to a
 * process) say to each other over the IPC channel.
 */
import type { JsonObject } from "../analyzer/types";

export interface RunJob {
  /** Absolute path of the program's entry module. */
  program: string;
  project: string;
  stack: string;
  organization: string;
  /** The stack's config as the engine hands it to a program: `namespace:key` → string (JSON for objects). */
  config: Record<string, string>;
  secretKeys: string[];
  /** The AWS region the program's default providers use, for the invokes the runner answers offline. */
  region?: string;
  /** The stack config file the values came from (`--config-file` or the stack's own), for config errors. */
  stackFile?: string;
}

/** One RegisterResource request the program made, as the engine would receive it. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Parent URN (the stack's root for top-level resources); empty for the root itself. */
  parent: string;
  /** The provider reference `urn::id`, empty when the default provider applies. */
  provider: string;
  /** The provider plugin version the SDK asked for (names the default provider). */
  version: string;
  /** Serialized inputs (unknowns as the engine's unknown marker). */
  inputs: JsonObject;
  /** Serialized outputs as a preview would have them: inputs known, computed outputs absent (unknown). */
  outputs: JsonObject;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface RunResult {
  kind: "result";
  resources: RegisteredResource[];
  /** The invokes the program made that the runner answered offline (token → count). */
  invokes: Record<string, number>;
}

export interface RunFailure {
  kind: "error";
  /** The error's class name (`ConfigError` for the program's config validation). */
  name: string;
  message: string;
  /** What failed: loading the program, running it, or an invoke that cannot be answered offline. */
  phase: "load" | "run" | "invoke";
  /** For a ConfigError: the key and the problem (its message names the stack's own file, not the one read). */
  config?: { key: string; problem: string };
}

export type RunReply = RunResult | RunFailure;

/** A list-valued config entry (`["a","b"]` as the engine hands it over); [] when absent or not a JSON list. */
export { configList } from "../../config/pack-settings";
