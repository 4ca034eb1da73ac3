#!/usr/bin/env node
/**
 * `ami-guard`: the offline preview (what `pulumi preview --policy-pack policy-pack` would show) and the
 * periodic audit. Every failure ends in a one-line message and a distinct exit code, never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { EXIT, UserError, type ExitCode } from "./errors";
import { registerPreviewCommand } from "../preview/command";
import { registerAuditCommand } from "../audit/command";
import { registerPackConfigCommand } from "../pack-config/command";

/** The program; `done` receives the exit code of the command that ran. */
export function buildProgram(done: (code: ExitCode) => void): Command {
  const program = new Command("ami-guard")
    .description(
      "Guardrails for Amazon EC2 machine images: offline policy preview, account audit, and the pack settings of a stack.",
    )
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError(false);
  registerPreviewCommand(program, done);
  registerAuditCommand(program, done);
  registerPackConfigCommand(program, done);
  return program;
}

/** Runs one command line and returns its exit code (each call its own: nothing is shared between runs). */
export async function main(argv: string[]): Promise<number> {
  let code: ExitCode = EXIT.ok;
  try {
    await buildProgram((c) => (code = c)).parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; anything else is a usage error (commander already printed it).
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UserError) {
      process.stderr.write(`ami-guard: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`ami-guard: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return EXIT.usage;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
