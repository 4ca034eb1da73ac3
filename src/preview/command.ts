import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import { EXIT, setExitCode } from "../cli/errors";
import { runPreview, type ProgressSink } from "./preview";
import { renderText, toJson } from "./render";

interface PreviewCliOptions {
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

/** A progress bar on stderr for the slow parts, only on a terminal. */
function terminalProgress(): ProgressSink | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: "{bar} {value}/{total} {task}",
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  let started = false;
  return {
    step(label, done, total) {
      if (!started) {
        bar.start(total, done, { task: label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { task: label });
      }
    },
    done() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Registers `ami-guard preview`: what `pulumi preview --policy-pack policy-pack` would show, offline. */
export function registerPreviewCommand(program: Command): void {
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
    .action(async (opts: PreviewCliOptions) => {
      const report = await runPreview({
        stack: opts.stack,
        inventory: opts.inventory,
        live: opts.live,
        policyPackConfig: opts.policyPackConfig,
        configFile: opts.configFile,
        cwd: opts.cwd,
        policyPack: opts.policyPack,
        writePolicyPackConfig: opts.writePolicyPackConfig,
        progress: opts.json ? undefined : terminalProgress(),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(toJson(report), null, 2)}\n` : renderText(report));
      setExitCode(report.mandatory > 0 ? EXIT.findings : EXIT.ok);
    });
}
