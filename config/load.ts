/**
 * Reads the stack's configuration from the Pulumi engine and validates it with {@link parseConfig}.
 * Called first thing by index.ts, so that a bad value stops the program before any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, type AmiGuardConfig } from "./parse";

export function loadConfig(): AmiGuardConfig {
  const raw: Record<string, string> = { ...pulumi.runtime.allConfig() };
  // `aws:region` may also come from the environment when the stack file leaves it out.
  if (raw["aws:region"] === undefined) {
    const region = new pulumi.Config("aws").get("region");
    if (region !== undefined) raw["aws:region"] = region;
  }
  return parseConfig(raw, pulumi.getStack());
}
