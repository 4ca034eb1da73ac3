#!/usr/bin/env node
/**
 * `ami-guard`: the offline preview (what `pulumi preview --policy-pack policy-pack` would show) and the
 * periodic audit. Every failure ends in a one-line message and a distinct exit code, never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { EXIT, UserError, takeExitCode } from "./errors";
import { registerPreviewCommand } from "../preview/command";
import { registerAuditCommand } from "../audit/command";

export function buildProgram(): Command {
  const program = new Command("ami-guard")
    .description("Guardrails for Amazon EC2 machine images: offline policy preview and account audit.")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError(false);
  registerPreviewCommand(program);
  registerAuditCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await program.parseAsync(argv, { from: "user" });
    return takeExitCode();
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
