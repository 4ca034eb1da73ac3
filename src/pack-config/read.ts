/**
 * Reading a policy pack configuration file. The format is JSON, the one `pulumi preview --policy-pack-config`
 * and `pulumi policy enable --config` read, so that one file serves the engine, the offline preview and the
 * audit. A YAML file is refused by name, with a one-line message, before it is read.
 */
import { MAX_CONFIG_BYTES } from "ami-guard-policies/aws/files";
import { UserError } from "../cli/errors";
import { readInputDocument, shownPath } from "../cli/files";
import { parsePackConfig, type PackConfig } from "./parse";

/** What `where` calls the configuration when no file is given. */
export const PACK_DEFAULTS = "the pack's defaults";

/** Reads and validates the configuration file; no file means the pack's defaults. */
export function readPackConfig(file: string | undefined): PackConfig {
  if (file === undefined) return parsePackConfig(undefined, PACK_DEFAULTS);
  if (/\.ya?ml$/i.test(file)) {
    throw new UserError(
      `${shownPath(file)}: the policy pack config is JSON, as pulumi preview --policy-pack-config reads it; YAML is not accepted (write the same mapping as JSON)`,
    );
  }
  const doc = readInputDocument(file, "policy pack config", { maxBytes: MAX_CONFIG_BYTES, format: "json" });
  return parsePackConfig(doc, shownPath(file));
}
