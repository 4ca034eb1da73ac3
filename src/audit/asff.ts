/**
 * The audit's findings in the AWS Security Finding Format (ASFF), as Security Hub's BatchImportFindings takes
 * them: one finding per account, region, resource and rule with a stable Id (a re-run updates rather than
 * duplicates), the rule as GeneratorId, the rule's severity, the AMI (or the account) as the resource, and a
 * FAILED compliance status. A region whose reads failed gets a finding of its own (the audit there is
 * partial), so an incomplete audit never reads as clean. Pure functions of the report.
 */
import type { AwsSecurityFinding, Resource, SeverityLabel } from "@aws-sdk/client-securityhub";
import type { Severity } from "ami-guard-policies/rules/rules";
import { ruleEntry } from "ami-guard-policies/rules/catalogue";
import type { AuditFinding, AuditReport, StepError } from "./model";

/** The GeneratorId of the finding that says an audit could not read everything. */
export const INCOMPLETE_RULE = "ami-guard-audit-incomplete";
/** The GeneratorId of the finding that says the auditor's own configuration is wrong. */
export const CONFIG_RULE = "ami-guard-auditor-config";
/** ProductFields key every AMI Guard finding carries (GetFindings filters on it). */
export const TOOL_FIELD = "ami-guard/Tool";
export const TOOL = "ami-guard";
/** ProductFields keys naming what a finding is about (the auditor's resolution scope). */
export const SCOPE_FIELD = "ami-guard/Resource";

const TYPES = ["Software and Configuration Checks/AWS Security Best Practices"];
const LABEL: Record<Severity, SeverityLabel> = {
  critical: "CRITICAL",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
};

/** Where the findings go: the Security Hub of `region` in `account`, in `partition`. */
export interface AsffTarget {
  partition: string;
  /** The Security Hub region the findings are imported into (ProductArn's region). */
  region: string;
  /** The account whose Security Hub receives them (the default product's owner). */
  account: string;
}

/** The partition of a region name (aws-cn for China, aws-us-gov for GovCloud, else aws). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  return "aws";
}

/** The default product of an account: the ProductArn under which an account imports its own findings. */
export function productArn(t: AsffTarget): string {
  return `arn:${t.partition}:securityhub:${t.region}:${t.account}:product/${t.account}/default`;
}

/** The finding's stable Id: the same account, region, resource and rule always give the same Id. */
export function findingId(account: string, region: string, resource: string, rule: string): string {
  return `ami-guard/${account}/${region}/${resource}/${rule}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function resourceOf(f: { account: string; region: string; imageId?: string }, partition: string): Resource {
  if (f.imageId) {
    return {
      Type: "Other",
      Id: `arn:${partition}:ec2:${f.region}::image/${f.imageId}`,
      Partition: partition as Resource["Partition"],
      Region: f.region,
      Details: { Other: { ImageId: f.imageId, ResourceType: "AWS::EC2::Image" } },
    };
  }
  return {
    Type: "AwsAccount",
    Id: `AWS::::Account:${f.account}`,
    Partition: partition as Resource["Partition"],
    Region: f.region,
  };
}

interface Base {
  account: string;
  region: string;
  resource: string;
  imageId?: string;
  rule: string;
  severity: Severity;
  title: string;
  description: string;
  fix: string;
  extra?: Record<string, string>;
}

function finding(b: Base, t: AsffTarget, now: string): AwsSecurityFinding {
  const severity = { Label: LABEL[b.severity], Original: b.severity };
  return {
    SchemaVersion: "2018-10-08",
    Id: findingId(b.account, b.region, b.resource, b.rule),
    ProductArn: productArn(t),
    ProductName: "AMI Guard",
    CompanyName: "AMI Guard",
    GeneratorId: b.rule,
    AwsAccountId: b.account,
    Region: b.region,
    Types: TYPES,
    CreatedAt: now,
    UpdatedAt: now,
    FirstObservedAt: now,
    LastObservedAt: now,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: TYPES },
    Title: clip(b.title, 256),
    Description: clip(b.description, 1024),
    Remediation: { Recommendation: { Text: clip(b.fix, 512) } },
    ProductFields: {
      [TOOL_FIELD]: TOOL,
      [SCOPE_FIELD]: b.resource,
      "ami-guard/Rule": b.rule,
      ...b.extra,
    },
    Resources: [resourceOf(b, t.partition)],
    Compliance: { Status: "FAILED" },
    Workflow: { Status: "NEW" },
    RecordState: "ACTIVE",
  };
}

/** One audit finding in ASFF. */
export function asffOf(f: AuditFinding, t: AsffTarget, now: string): AwsSecurityFinding {
  const extra: Record<string, string> = {};
  if (f.usedBy) extra["ami-guard/UsedBy"] = clip(f.usedBy.join(", "), 1000);
  return finding(
    {
      account: f.account,
      region: f.region,
      resource: f.resource,
      imageId: f.imageId,
      rule: f.rule,
      severity: f.severity,
      title: `${f.imageId ?? `Account ${f.account} (${f.region})`}: ${ruleEntry(f.rule)?.summary ?? f.rule}`,
      description: f.message,
      fix: f.fix,
      extra,
    },
    t,
    now,
  );
}

/** The finding that says the audit of one region (or of the account) could not read everything. */
export function incompleteFinding(
  account: string,
  region: string,
  errors: readonly StepError[],
  t: AsffTarget,
  now: string,
): AwsSecurityFinding {
  const causes = errors.map((e) => `${e.step}: ${e.cause}`);
  return finding(
    {
      account,
      region,
      resource: "audit",
      rule: INCOMPLETE_RULE,
      severity: "high",
      title: `AMI Guard could not audit account ${account} in ${region} completely`,
      description: `The audit is partial: ${errors.length} read(s) failed, so images or guardrails there were not judged. ${causes.join("; ")}`,
      fix: "Check the auditor role's permissions and the service's availability in that region; the next run re-audits and resolves this finding when every read succeeds.",
    },
    t,
    now,
  );
}

/** The finding that says the auditor's configuration is wrong (it then audits with the pack's defaults). */
export function configFinding(
  account: string,
  region: string,
  problem: string,
  t: AsffTarget,
  now: string,
): AwsSecurityFinding {
  return finding(
    {
      account,
      region,
      resource: "auditor",
      rule: CONFIG_RULE,
      severity: "high",
      title: `AMI Guard auditor in account ${account} is misconfigured`,
      description: `${problem}. The auditor judged with the pack's defaults instead.`,
      fix: "Fix the function's environment (AMI_GUARD_POLICY_CONFIG, AMI_GUARD_REGIONS, AMI_GUARD_REMEDIATE) in the stack and deploy it again.",
    },
    t,
    now,
  );
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * One finding per account, region, resource and rule: a rule that found two problems with one image (public
 * and shared outside the allow-list, say) is one ASFF finding at the higher severity, with both messages.
 */
export function mergeByRule(findings: readonly AuditFinding[]): AuditFinding[] {
  const out = new Map<string, AuditFinding>();
  for (const f of findings) {
    const key = findingId(f.account, f.region, f.resource, f.rule);
    const seen = out.get(key);
    if (!seen) {
      out.set(key, { ...f });
      continue;
    }
    if (RANK[f.severity] > RANK[seen.severity]) seen.severity = f.severity;
    if (!seen.message.includes(f.message)) seen.message = `${seen.message} ${f.message}`;
    if (!seen.fix.includes(f.fix)) seen.fix = `${seen.fix} ${f.fix}`;
  }
  return [...out.values()];
}

/**
 * Every finding of the report in ASFF (merged by {@link mergeByRule}), plus one "audit incomplete" finding per account and region with failed
 * reads (errors with no region are counted against `fallbackRegion`; with no account, `t.account`).
 */
export function toAsffFindings(report: AuditReport, t: AsffTarget, now = new Date()): AwsSecurityFinding[] {
  const at = now.toISOString();
  const out = mergeByRule(report.findings).map((f) => asffOf(f, t, at));
  const byPlace = new Map<string, { account: string; region: string; errors: StepError[] }>();
  for (const e of report.summary.errors) {
    const account = e.account ?? t.account;
    const region = e.region ?? t.region;
    const key = `${account}/${region}`;
    const entry = byPlace.get(key) ?? { account, region, errors: [] };
    entry.errors.push(e);
    byPlace.set(key, entry);
  }
  for (const p of byPlace.values()) out.push(incompleteFinding(p.account, p.region, p.errors, t, at));
  return out;
}

/** `--format asff`: the BatchImportFindings request body (`aws securityhub batch-import-findings --cli-input-json`). */
export function toAsff(report: AuditReport, now = new Date()): string {
  const region =
    report.summary.regions[0] ?? report.summary.errors.find((e) => e.region)?.region ?? "us-east-1";
  const account = report.summary.accounts[0] ?? "000000000000";
  const findings = toAsffFindings(report, { partition: partitionOf(region), region, account }, now);
  return JSON.stringify({ Findings: findings }, null, 2) + "\n";
}
