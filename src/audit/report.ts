/**
 * The audit report in its three forms: a table for people (grouped by severity, with the fix), JSON for
 * scripts, and SARIF 2.1.0 for code-scanning tools. All three are pure functions of the report; the rules'
 * words come from the rule catalogue (policy-pack/rules/catalogue.ts).
 */
import { createHash } from "node:crypto";
import type * as Sarif from "sarif";
import { AUDITED_RULES, CATALOGUE, SEVERITIES, type Severity } from "ami-guard-policies/rules/catalogue";
import type { AuditFinding, AuditReport } from "./model";

export const FORMATS = ["table", "json", "sarif", "asff"] as const;
export type Format = (typeof FORMATS)[number];

/** The JSON report: findings as the issue names them (plus fix, resource and usedBy), and the summary. */
export function toJson(report: AuditReport): string {
  const findings = report.findings.map((f) => ({
    imageId: f.imageId ?? null,
    region: f.region,
    account: f.account,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    resource: f.resource,
    ...(f.usedBy ? { usedBy: f.usedBy } : {}),
    ...(f.owner && f.owner !== f.account ? { ownerAccount: f.owner } : {}),
  }));
  return JSON.stringify({ findings, summary: report.summary }, null, 2) + "\n";
}

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(indent + line);
  return out;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The table for a terminal: a heading, then one block per severity (most severe first). */
export function toTable(report: AuditReport, width = 100): string {
  const s = report.summary;
  const lines: string[] = [];
  if (!s.complete) {
    lines.push(
      `AUDIT INCOMPLETE: ${plural(s.errors.length, "read")} failed, so the findings below are partial.`,
    );
    for (const e of s.errors) {
      const where = [e.account, e.region].filter(Boolean).join(" ");
      lines.push(...wrap(`- ${e.step}${where ? ` in ${where}` : ""}: ${e.cause}`, width, "  "));
    }
    lines.push("");
  }
  lines.push(
    ...wrap(
      `AMI Guard audit of ${plural(s.accounts.length, "account")} (${s.accounts.join(", ") || "none"}) in ${plural(s.regions.length, "region")} (${s.regions.join(", ") || "none"}): ${plural(s.imagesScanned, "image")} owned, ${s.imagesInUse} in use by ${plural(s.instancesScanned, "instance")} and ${plural(s.launchTemplateVersionsScanned, "launch template version")}. Settings: ${s.config}.`,
      width,
      "",
    ),
  );
  lines.push("");
  if (report.findings.length === 0) {
    lines.push(s.complete ? "No findings." : "No findings in what could be read.", "");
  }
  for (const sev of [...SEVERITIES].reverse()) {
    const group = report.findings.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    lines.push(`${sev.toUpperCase()} (${group.length})`);
    const rows = group.map((f) => [f.resource, f.account, f.region, f.rule]);
    const head = ["RESOURCE", "ACCOUNT", "REGION", "RULE"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (cells: string[]) => ("  " + cells.map((c, i) => c.padEnd(widths[i])).join("  ")).trimEnd();
    lines.push(fmt(head));
    group.forEach((f, i) => {
      lines.push(fmt(rows[i]));
      lines.push(...wrap(f.message, width, "      "));
      lines.push(...wrap(`Fix: ${f.fix}`, width, "      "));
    });
    lines.push("");
  }
  const owners = Object.entries(s.byOwner ?? {});
  if (owners.length > 0) {
    lines.push("IN USE, BY OWNER ACCOUNT");
    for (const [owner, o] of owners) {
      const view = o.ownerView ? " (tags and launch permissions read as the owner sees them)" : "";
      lines.push(
        ...wrap(
          `${owner}: ${plural(o.imagesInUse, "image")} in use, ${plural(o.findings, "finding")}${view}`,
          width,
          "  ",
        ),
      );
    }
    lines.push("");
  }
  const counts = SEVERITIES.slice()
    .reverse()
    .map((sev) => `${s.bySeverity[sev]} ${sev}`)
    .join(", ");
  lines.push(
    `${plural(s.findings, "finding")} (${counts}); ${s.failing} at or above --fail-on ${s.failOn}. ${s.complete ? "Audit complete." : "AUDIT INCOMPLETE."}`,
  );
  return lines.join("\n") + "\n";
}

const LEVEL: Record<Severity, Sarif.ReportingConfiguration.level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
};
/** GitHub code scanning reads `security-severity` (0–10) to rank results. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

function location(f: AuditFinding): Sarif.Location {
  const name = `${f.account}/${f.region}/${f.resource}`;
  return {
    physicalLocation: { artifactLocation: { uri: `aws://${name}` } },
    logicalLocations: [
      { name: f.resource, fullyQualifiedName: name, kind: f.imageId ? "resource" : "module" },
    ],
  };
}

/** Stable across runs: the message's numbers (an image's age grows daily) are left out. */
function fingerprint(f: AuditFinding): string {
  const text = `${f.rule}|${f.account}|${f.region}|${f.resource}|${f.severity}|${f.message.replace(/[0-9]+/g, "#")}`;
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** SARIF 2.1.0: one run, one rule per rule the audit can report, one result per finding. */
export function toSarif(report: AuditReport, version: string): string {
  const ruleIds: readonly string[] = AUDITED_RULES;
  const rules: Sarif.ReportingDescriptor[] = AUDITED_RULES.map((id) => {
    const rule = CATALOGUE[id];
    return {
      id,
      name: id,
      shortDescription: { text: rule.summary },
      help: { text: rule.help },
      defaultConfiguration: { level: LEVEL[rule.severity] },
      properties: { "security-severity": SECURITY_SEVERITY[rule.severity], tags: ["security", "aws", "ami"] },
    };
  });
  const results: Sarif.Result[] = report.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIds.indexOf(f.rule),
    level: LEVEL[f.severity],
    message: { text: `${f.message} Fix: ${f.fix}` },
    locations: [location(f)],
    partialFingerprints: {
      "amiGuardFinding/v1": fingerprint(f),
    },
    properties: {
      severity: f.severity,
      "security-severity": SECURITY_SEVERITY[f.severity],
      account: f.account,
      region: f.region,
      ...(f.imageId ? { imageId: f.imageId } : {}),
      ...(f.usedBy ? { usedBy: f.usedBy } : {}),
      ...(f.owner ? { ownerAccount: f.owner } : {}),
    },
  }));
  const s = report.summary;
  const log: Sarif.Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "ami-guard",
            version,
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: s.complete,
            toolExecutionNotifications: s.errors.map((e) => ({
              level: "error" as const,
              message: {
                text: `${e.step}${e.account ? ` in ${e.account}` : ""}${e.region ? ` ${e.region}` : ""}: ${e.cause}`,
              },
            })),
          },
        ],
        results,
        properties: { summary: { ...s, errors: undefined } },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
