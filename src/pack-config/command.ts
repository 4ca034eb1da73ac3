/**
 * `ami-guard pack-config --stack <env>`: the policy pack settings that follow from one of our stack files, as
 * the JSON `pulumi preview --policy-pack-config` (and `pulumi up`, `pulumi policy enable --config`, the audit's
 * `--config`) reads. A pure function of the stack file: no program run, no pack start, no AWS call.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { EXIT, UserError, type ExitCode } from "../cli/errors";
import { shownPath } from "../cli/files";
import { parsePackConfig } from "./parse";
import { packSettingsFromFiles } from "./stack";

export interface PackConfigCliOptions {
  stack: string;
  configFile?: string;
  cwd?: string;
  output?: string;
}

/** Derives, checks (with the pack's own validator) and prints or writes the stack's pack settings. */
export function packConfigAction(opts: PackConfigCliOptions): ExitCode {
  const { settings, stackFile } = packSettingsFromFiles(opts);
  // What we hand the engine passes the pack's own validator first, so `pulumi preview` never meets a bad file.
  parsePackConfig(settings, `the pack settings derived from ${shownPath(stackFile)}`);
  const text = `${JSON.stringify(settings, null, 2)}\n`;
  if (opts.output === undefined) {
    process.stdout.write(text);
  } else {
    try {
      fs.writeFileSync(path.resolve(opts.output), text);
    } catch (e) {
      throw new UserError(
        `cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  return EXIT.ok;
}

/** Registers `ami-guard pack-config`; `done` receives the action's exit code. */
export function registerPackConfigCommand(program: Command, done: (code: ExitCode) => void): void {
  program
    .command("pack-config")
    .description(
      "Print (or write) the policy pack settings that follow from a stack file, as the JSON " +
        "`pulumi preview --policy-pack-config` reads: trusted owners, sharing targets, maximum AMI age, owners' read roles.",
    )
    .requiredOption("-s, --stack <name>", "the stack (its config is stacks/Pulumi.<name>.yaml)")
    .option("-o, --output <file>", "write the JSON to this file instead of stdout")
    .option("--config-file <file>", "use this stack config file instead of the stack's own")
    .option("-C, --cwd <dir>", "run as if started in this directory (the project is the nearest Pulumi.yaml)")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 2 unknown stack, unreadable or invalid stack file, or a project that is not AMI Guard's.",
    )
    .action((opts: PackConfigCliOptions) => done(packConfigAction(opts)));
}
