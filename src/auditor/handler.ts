/**
 * The AMI auditor's Lambda handler (bundled to dist/auditor/handler.js). Each invocation audits with the same
 * engine and rules core as `ami-guard audit` — the whole account on a schedule, one image or one region's
 * guardrails on a CloudTrail event — then, when the stack turns it on, removes public and non-allow-listed
 * launch permissions from owned images, keeps Security Hub in step (import, update, resolve), and sends new
 * high and critical findings to the alarm topic. A partial audit and a misconfiguration are findings of their
 * own. It throws only when the findings could not be delivered, so Lambda's retries, dead-letter queue and
 * error alarm take over.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { SecurityHubClient, type AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { describeError } from "ami-guard-policies/aws/lookup";
import {
  CONFIG_RULE,
  INCOMPLETE_RULE,
  SCOPE_FIELD,
  configFinding,
  partitionOf,
  productArn,
  toAsffFindings,
  type AsffTarget,
} from "../audit/asff";
import { DEFAULT_CLIENT, runAudit, type AuditOptions } from "../audit/audit";
import { GUARDRAIL_RULES } from "ami-guard-policies/rules/guardrails";
import type { AuditScope } from "../audit/scope";
import { readAuditorEnv } from "./env";
import { targetOf } from "./events";
import { plan, remediate, type Remediation } from "./remediate";
import { syncFindings } from "./securityhub";
import type { AuditReport, StepError } from "../audit/model";

/** The part of Lambda's context the handler reads. */
export interface AuditorContext {
  invokedFunctionArn?: string;
  awsRequestId?: string;
}

/** What one invocation did (also logged as one JSON line). */
export interface AuditorResult {
  reason: string;
  scope: AuditScope["kind"];
  regions: string[];
  account?: string;
  complete: boolean;
  findings: number;
  imported: number;
  resolved: number;
  notified: number;
  remediations: Remediation[];
  problems: string[];
  errors: StepError[];
  deliveryFailures: string[];
}

function log(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ source: "ami-guard-auditor", ...entry })}\n`);
}

function accountFromArn(arn: string | undefined): { partition?: string; account?: string } {
  const m = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:([0-9]{12}):/.exec(arn ?? "");
  return m ? { partition: m[1], account: m[2] } : {};
}

/** runAudit, whose unexpected failure is an incomplete report (then a finding), never a silent crash. */
async function audit(o: AuditOptions): Promise<AuditReport> {
  try {
    return await runAudit(o);
  } catch (e) {
    const errors: StepError[] = o.regions.map((region) => ({
      region,
      step: "audit",
      cause: describeError(e),
    }));
    if (errors.length === 0) errors.push({ step: "audit", cause: describeError(e) });
    return {
      findings: [],
      inventory: [],
      summary: {
        complete: false,
        generatedAt: o.now.toISOString(),
        accounts: [],
        regions: [...o.regions],
        imagesScanned: 0,
        imagesInUse: 0,
        instancesScanned: 0,
        launchTemplateVersionsScanned: 0,
        findings: 0,
        bySeverity: { low: 0, medium: 0, high: 0, critical: 0 },
        failOn: o.failOn,
        failing: 0,
        config: o.config.source,
        apiCalls: {},
        errors,
      },
    };
  }
}

const SEVERE = new Set(["HIGH", "CRITICAL"]);

function maxAttempts(): number {
  const n = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_CLIENT.maxAttempts;
}

/** Which previously active findings this run may resolve: only what it looked at, where every read succeeded. */
function resolvable(
  scope: AuditScope,
  account: string,
  report: AuditReport,
  regions: readonly string[],
): (f: AwsSecurityFinding) => boolean {
  const failed = new Set(report.summary.errors.map((e) => e.region ?? "*"));
  const complete = new Set(failed.has("*") ? [] : regions.filter((r) => !failed.has(r)));
  return (f) => {
    if (f.GeneratorId === CONFIG_RULE) return f.AwsAccountId === account;
    if (f.AwsAccountId !== account || !f.Region || !complete.has(f.Region)) return false;
    const resource = f.ProductFields?.[SCOPE_FIELD];
    if (scope.kind === "account") return true;
    if (scope.kind === "images") return resource !== undefined && scope.imageIds.includes(resource);
    return (
      resource === "account" &&
      f.GeneratorId !== GUARDRAIL_RULES.cloudTrail &&
      f.GeneratorId !== INCOMPLETE_RULE
    );
  };
}

function message(findings: AwsSecurityFinding[], remediations: Remediation[], result: AuditorResult): string {
  const lines = [
    `AMI Guard auditor: ${result.reason}. Account ${result.account ?? "unknown"}, regions ${result.regions.join(", ")}.`,
    "",
  ];
  for (const f of findings)
    lines.push(`[${f.Severity?.Label}] ${f.Title}`, `  ${f.Description}`, `  Id: ${f.Id}`, "");
  for (const r of remediations)
    lines.push(
      r.ok
        ? `REMEDIATED ${r.imageId} (${r.region}): removed launch permission(s) ${JSON.stringify(r.removed)}`
        : `REMEDIATION FAILED ${r.imageId} (${r.region}): ${r.error}`,
    );
  const text = lines.join("\n");
  return text.length > 200_000 ? `${text.slice(0, 200_000)}\n… (truncated; see Security Hub)` : text;
}

export async function handler(event: unknown, context: AuditorContext = {}): Promise<AuditorResult> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const now = new Date();
  const env = readAuditorEnv(process.env);
  const target = targetOf(event);
  const home = process.env.AWS_REGION ?? env.regions[0] ?? "us-east-1";
  const fromArn = accountFromArn(context.invokedFunctionArn);
  const regions = [...(target.regions ?? env.regions)];
  const client = { ...DEFAULT_CLIENT, maxAttempts: maxAttempts() };
  log({
    level: "info",
    event: "start",
    reason: target.reason,
    scope: target.scope,
    regions,
    requestId: context.awsRequestId,
  });

  const result: AuditorResult = {
    reason: target.reason,
    scope: target.scope.kind,
    regions,
    complete: true,
    findings: 0,
    imported: 0,
    resolved: 0,
    notified: 0,
    remediations: [],
    problems: env.problems,
    errors: [],
    deliveryFailures: [],
  };
  if (target.skip) {
    log({ level: "info", event: "skipped", reason: target.reason });
    return result;
  }

  const options: AuditOptions = {
    regions,
    allRegions: false,
    roleArns: [],
    config: env.config,
    failOn: "low",
    now,
    concurrency: 8,
    regionConcurrency: 4,
    client,
    scope: target.scope,
  };
  let report = await audit(options);
  const account = report.summary.accounts[0] ?? fromArn.account ?? "000000000000";
  result.account = account;
  const partition = fromArn.partition ?? partitionOf(home);

  if (env.remediate) {
    const ec2Clients = new Map<string, EC2Client>();
    const ec2 = (region: string) => {
      let c = ec2Clients.get(region);
      if (!c) {
        c = new EC2Client({ region, maxAttempts: client.maxAttempts, retryMode: "adaptive" });
        ec2Clients.set(region, c);
      }
      return c;
    };
    try {
      result.remediations = await remediate(plan(report, env.config), ec2, log);
    } finally {
      for (const c of ec2Clients.values()) c.destroy();
    }
    const fixed = result.remediations.filter((r) => r.ok);
    if (fixed.length > 0) {
      // Judge the remediated images again, as they are now: a finding stays only if the problem does.
      const ids = [...new Set(fixed.map((r) => r.imageId))];
      const again = await audit({
        ...options,
        regions: [...new Set(fixed.map((r) => r.region))],
        scope: { kind: "images", imageIds: ids },
      });
      report = {
        ...report,
        findings: [
          ...report.findings.filter((f) => !f.imageId || !ids.includes(f.imageId)),
          ...again.findings.filter((f) => f.imageId && ids.includes(f.imageId)),
        ],
        summary: {
          ...report.summary,
          complete: report.summary.complete && again.summary.complete,
          errors: [...report.summary.errors, ...again.summary.errors],
        },
      };
    }
  }

  const asffTarget: AsffTarget = { partition, region: home, account };
  const findings = toAsffFindings(report, asffTarget, now);
  for (const problem of env.problems)
    findings.push(configFinding(account, home, problem, asffTarget, now.toISOString()));
  result.complete = report.summary.complete;
  result.errors = report.summary.errors;
  result.findings = findings.length;

  const hub = new SecurityHubClient({ region: home, maxAttempts: client.maxAttempts, retryMode: "adaptive" });
  let newIds: Set<string> | undefined;
  try {
    const sync = await syncFindings(
      hub,
      productArn(asffTarget),
      findings,
      resolvable(target.scope, account, report, regions),
      now,
    );
    result.imported = sync.imported;
    result.resolved = sync.resolved.length;
    result.deliveryFailures.push(...sync.failures);
    newIds = sync.listed ? sync.newIds : undefined;
  } finally {
    hub.destroy();
  }

  // New high and critical findings (all of them when the active ones could not be listed), and remediations.
  const alarming = findings.filter(
    (f) => SEVERE.has(String(f.Severity?.Label)) && (!newIds || newIds.has(String(f.Id))),
  );
  if (env.topicArn && (alarming.length > 0 || result.remediations.length > 0)) {
    const sns = new SNSClient({ region: env.topicArn.split(":")[3], maxAttempts: client.maxAttempts });
    try {
      const subject = `AMI Guard: ${alarming.length} new high/critical finding(s)${result.remediations.length ? `, ${result.remediations.length} remediation(s)` : ""} in ${account}`;
      await sns.send(
        new PublishCommand({
          TopicArn: env.topicArn,
          Subject: subject.slice(0, 99),
          Message: message(alarming, result.remediations, result),
        }),
      );
      result.notified = alarming.length;
    } catch (e) {
      result.deliveryFailures.push(`sns:Publish ${env.topicArn}: ${describeError(e)}`);
    } finally {
      sns.destroy();
    }
  }

  log({
    level: result.complete && result.deliveryFailures.length === 0 ? "info" : "error",
    event: "done",
    ...result,
  });
  if (result.deliveryFailures.length > 0) {
    throw new Error(
      `AMI Guard auditor could not deliver its findings: ${result.deliveryFailures[0]}${result.deliveryFailures.length > 1 ? ` (and ${result.deliveryFailures.length - 1} more)` : ""}`,
    );
  }
  return result;
}
