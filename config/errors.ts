/**
 * The error a bad stack configuration raises: it names the key and the stack file to edit, so that
 * `pulumi up` (and the ami-guard CLI, which exits 2 on it) stops before any resource is declared.
 */
import { RunError } from "@pulumi/pulumi/errors";

/** A {@link RunError}: `pulumi up` prints its message alone, without the stack trace of other errors. */
export class ConfigError extends RunError {
  /**
   * @param key the fully qualified config key, e.g. `ami-guard:patchCadenceDays`
   * @param stackFile the stack file to edit, e.g. `stacks/Pulumi.dev.yaml`
   * @param problem what is wrong with the value
   */
  constructor(
    readonly key: string,
    readonly stackFile: string,
    readonly problem: string,
  ) {
    super(`Invalid configuration ${key} in ${stackFile}: ${problem}`);
    this.name = "ConfigError";
  }
}
