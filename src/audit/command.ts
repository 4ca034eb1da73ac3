/**
 * `ami-guard audit`: the detective side of the pack. Reads the AMIs one or more accounts own and run, and their
 * account guardrails, judges them with the same rules core as the policy pack, and prints a table, JSON or
 * SARIF. Exit 0 clean, 1 findings at or above --fail-on, 2 when the audit could not complete.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { SEVERITIES, type Severity } from "ami-guard-policies/rules/rules";
import { EXIT, UserError, type ExitCode } from "../cli/errors";
import { withProgress } from "../cli/progress";
import { toAsff } from "./asff";
import { loadConfig } from "./config";
import { writeInventory } from "./inventory";
import { FORMATS, toJson, toSarif, toTable, type Format } from "./report";
import type { AuditReport } from "./model";
import { AMI_ID, REGION, ROLE_ARN } from "ami-guard-policies/rules/patterns";

export interface AuditFlags {
  region: string[];
  allRegions?: boolean;
  roleArn: string[];
  image: string[];
  format: Format;
  failOn: Severity;
  exportInventory?: string;
  config?: string;
  concurrency: number;
  maxAttempts?: number;
  timeout: number;
  now?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

function intIn(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UserError(
        `${what} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
      );
    return n;
  };
}

/** The package's version, from the package.json above this file (source or compiled tree). */
export function packageVersion(): string {
  for (const up of ["../..", "../../.."]) {
    try {
      const p = JSON.parse(fs.readFileSync(path.join(__dirname, up, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (p.name === "ami-guard" && p.version) return p.version;
    } catch {
      // try the next level
    }
  }
  return "0.0.0";
}

/** The table's width: the terminal's (at least 80), or 100 when stdout is not a terminal. */
function tableWidth(): number {
  return process.stdout.isTTY ? Math.max(80, process.stdout.columns ?? 100) : 100;
}

export function render(report: AuditReport, format: Format, version: string, width?: number): string {
  if (format === "json") return toJson(report);
  if (format === "sarif") return toSarif(report, version);
  if (format === "asff") return toAsff(report, new Date(report.summary.generatedAt));
  return toTable(report, width);
}

/** Runs `ami-guard audit` and prints the report; returns the exit code (1 on a finding at or above --fail-on). */
export async function auditAction(flags: AuditFlags): Promise<ExitCode> {
  // The SDK's notice about its future Node.js support is not the auditor's business and would bury the one-line
  // error a failed audit ends with; an explicit setting of the variable still wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  for (const r of flags.region)
    if (!REGION.test(r))
      throw new UserError(`--region ${JSON.stringify(r)} is not an AWS region name (e.g. us-east-1)`);
  for (const a of flags.roleArn)
    if (!ROLE_ARN.test(a))
      throw new UserError(
        `--role-arn ${JSON.stringify(a)} is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)`,
      );
  for (const id of flags.image)
    if (!AMI_ID.test(id))
      throw new UserError(`--image ${JSON.stringify(id)} is not an AMI id (ami- and 8 or 17 hex digits)`);
  if (flags.image.length > 0 && flags.exportInventory)
    throw new UserError("--export-inventory needs the whole account: leave out --image");
  const now = flags.now === undefined ? new Date() : new Date(flags.now);
  if (Number.isNaN(now.getTime())) throw new UserError(`--now ${JSON.stringify(flags.now)} is not a date`);
  const config = loadConfig(flags.config);
  // The audit and the AWS SDK it reads with load only when an audit runs: every other command starts without them.
  const { DEFAULT_CLIENT, runAudit } = await import("./audit");
  const envAttempts = Number(process.env.AWS_MAX_ATTEMPTS);
  const maxAttempts =
    flags.maxAttempts ??
    (Number.isInteger(envAttempts) && envAttempts > 0 ? envAttempts : DEFAULT_CLIENT.maxAttempts);

  const report = await withProgress(
    { enabled: flags.format === "table", task: "reads (auditing)" },
    (progress) =>
      runAudit({
        regions: [...new Set(flags.region)],
        allRegions: flags.allRegions === true,
        roleArns: [...new Set(flags.roleArn)],
        config,
        failOn: flags.failOn,
        now,
        concurrency: flags.concurrency,
        regionConcurrency: 4,
        client: { ...DEFAULT_CLIENT, maxAttempts, requestTimeoutMs: flags.timeout * 1000 },
        progress,
        scope: flags.image.length > 0 ? { kind: "images", imageIds: [...new Set(flags.image)] } : undefined,
      }),
  );

  const s = report.summary;
  if (!s.complete) {
    // The partial report is printed (and says it is partial), the inventory is not written, and the exit is 2.
    process.stdout.write(render(report, flags.format, packageVersion(), tableWidth()));
    const first = s.errors[0];
    const where = [first.account, first.region].filter(Boolean).join(" ");
    const more = s.errors.length > 1 ? ` (and ${s.errors.length - 1} more failed read(s))` : "";
    const skipped = flags.exportInventory ? `; inventory ${flags.exportInventory} not written` : "";
    throw new UserError(
      `audit incomplete: ${first.step}${where ? ` in ${where}` : ""} failed: ${first.cause}${more}${skipped}`,
    );
  }
  if (flags.exportInventory) writeInventory(flags.exportInventory, report.inventory, report.parameters);
  process.stdout.write(render(report, flags.format, packageVersion(), tableWidth()));
  return s.failing > 0 ? EXIT.findings : EXIT.ok;
}

/** Registers `ami-guard audit`; `done` receives the action's exit code. */
export function registerAuditCommand(program: Command, done: (code: ExitCode) => void): void {
  program
    .command("audit")
    .description("Audit the AMIs an account owns and runs, and its account guardrails.")
    .addOption(
      new Option("--region <region>", "region to audit (repeatable, or comma-separated)")
        .argParser(collect)
        .default([], "the SDK's region (AWS_REGION or the profile's)"),
    )
    .addOption(new Option("--all-regions", "audit every region enabled for the account").conflicts("region"))
    .addOption(
      new Option("--role-arn <arn>", "auditor role to assume, one per account (repeatable)")
        .argParser(collect)
        .default([], "the caller's own account"),
    )
    .addOption(
      new Option("--image <id>", "audit only this AMI (repeatable, or comma-separated)")
        .argParser(collect)
        .default([], "every AMI the account owns and runs, and its guardrails"),
    )
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("table"))
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity")
        .choices(SEVERITIES)
        .default("low"),
    )
    .option(
      "--config <file>",
      "policy pack config file (JSON, as pulumi preview --policy-pack-config reads it); default: the pack's defaults",
    )
    .option(
      "--export-inventory <file>",
      "write the describe-images JSON (with LaunchPermissions) the offline preview reads",
    )
    .option("--concurrency <n>", "per-image calls in flight per region", intIn(1, 64, "--concurrency"), 8)
    .option(
      "--max-attempts <n>",
      "attempts per AWS call, retries included (default: AWS_MAX_ATTEMPTS or 8)",
      intIn(1, 20, "--max-attempts"),
    )
    .option("--timeout <seconds>", "seconds to wait for each AWS answer", intIn(1, 300, "--timeout"), 20)
    .addOption(new Option("--now <date>", "judge ages as of this date (tests)").hideHelp())
    .action(async (flags: AuditFlags) => done(await auditAction(flags)));
}
