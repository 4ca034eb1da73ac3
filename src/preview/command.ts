import type { Command } from "commander";
import { EXIT, type ExitCode } from "../cli/errors";
import { withProgress } from "../cli/progress";
import { runPreview } from "./preview";
import { renderText, toJson } from "./render";

export interface PreviewCliOptions {
  stack: string;
  inventory?: string;
  live?: boolean;
  json?: boolean;
  policyPackConfig?: string;
  configFile?: string;
  cwd?: string;
  policyPack?: string;
  writePolicyPackConfig?: string;
}

/** Runs `ami-guard preview` and prints the report; returns the exit code (1 when a mandatory policy is violated). */
export async function previewAction(opts: PreviewCliOptions): Promise<ExitCode> {
  const report = await withProgress(
    { enabled: !opts.json, task: "running the program under mocks, starting the policy pack" },
    (progress) =>
      runPreview({
        stack: opts.stack,
        inventory: opts.inventory,
        live: opts.live,
        policyPackConfig: opts.policyPackConfig,
        configFile: opts.configFile,
        cwd: opts.cwd,
        policyPack: opts.policyPack,
        writePolicyPackConfig: opts.writePolicyPackConfig,
        progress,
      }),
  );
  process.stdout.write(opts.json ? `${JSON.stringify(toJson(report), null, 2)}\n` : renderText(report));
  return report.mandatory > 0 ? EXIT.findings : EXIT.ok;
}

/**
 * Registers `ami-guard preview`: what `pulumi preview --policy-pack policy-pack` would show, offline. `done`
 * receives the action's exit code.
 */
export function registerPreviewCommand(program: Command, done: (code: ExitCode) => void): void {
  program
    .command("preview")
    .description(
      "Show what `pulumi preview --policy-pack policy-pack` would report for a stack, offline: the program runs under " +
        "Pulumi's mocks and every resource goes to the policy pack through the engine's analyzer protocol.",
    )
    .requiredOption("-s, --stack <name>", "the stack (its config is stacks/Pulumi.<name>.yaml)")
    .option(
      "--inventory <file>",
      "AMI facts in the `aws ec2 describe-images --output json` shape (default: inventory/default.json)",
    )
    .option(
      "--live",
      "look AMIs up in EC2 with your AWS environment (credentials, AWS_PROFILE, AWS_REGION) instead of an inventory",
    )
    .option("--json", "print {stack, resources, diagnostics} as JSON and nothing else on stdout")
    .option(
      "--policy-pack-config <file>",
      "policy configuration (JSON: policy name → properties), as pulumi preview --policy-pack-config",
    )
    .option(
      "--write-policy-pack-config <file>",
      "write the effective policy configuration, for pulumi preview --policy-pack policy-pack --policy-pack-config <file>",
    )
    .option(
      "--config-file <file>",
      "use this stack config file instead of the stack's own, as pulumi preview --config-file",
    )
    .option("-C, --cwd <dir>", "run as if started in this directory (the project is the nearest Pulumi.yaml)")
    .option("--policy-pack <dir>", "the policy pack directory (default: <project>/policy-pack)")
    .addHelpText(
      "after",
      "\nExit codes: 0 no mandatory violation, 1 a mandatory policy is violated, 2 bad input or the preview could not complete.",
    )
    .action(async (opts: PreviewCliOptions) => done(await previewAction(opts)));
}
