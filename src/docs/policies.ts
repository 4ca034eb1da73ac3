/**
 * `docs/policies.md`, rendered from the rule catalogue (policy-pack/rules/catalogue.ts): every rule of the pack
 * and of the audit, with its severity per finding, practices, settings, description and remediation. Written by
 * `npm run docs`; tests/docs/policies-doc-generated.spec.ts fails when the committed file is stale.
 */
import {
  CATALOGUE,
  PRACTICES,
  RULE_NAMES,
  type CatalogueEntry,
  type CatalogueName,
} from "ami-guard-policies/rules/catalogue";

export const POLICIES_DOC = "docs/policies.md";

const KIND: Record<CatalogueEntry["kind"], string> = {
  resource: "pack (resource)",
  stack: "pack (stack)",
  account: "audit (account)",
};

const code = (s: string) => `\`${s}\``;
/** A table cell: pipes escaped, no line breaks. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

function severities(e: CatalogueEntry): string {
  const found = [...new Set(Object.values(e.findings).map((f) => f.severity))];
  return found.length === 1 && found[0] === e.severity
    ? e.severity
    : `${e.severity} (findings: ${found.join(", ")})`;
}

function practices(e: CatalogueEntry): string {
  return e.practices.map((p) => `${p}. ${PRACTICES[p].title}`).join("; ");
}

function settings(e: CatalogueEntry, name: CatalogueName): string {
  if (e.settings.length === 0) return "none";
  const own = e.settings.map(code).join(", ");
  return e.settingsFallback
    ? `${own} (from its own section of the pack configuration, else from ${code(e.settingsFallback)}'s)`
    : `${own} (from ${code(name)}'s section of the pack configuration)`;
}

/** "1. a. 2. b." → one list item per step. */
function steps(text: string): string[] {
  const parts = text.split(/(?:^|\s)(?=\d+\. )/).filter((p) => p.trim() !== "");
  return parts.map((p) => p.trim().replace(/^(\d+)\. /, "$1. "));
}

function section(name: CatalogueName): string[] {
  const e: CatalogueEntry = CATALOGUE[name];
  const lines = [`### ${code(name)}`, "", `**${e.title}.** ${e.description}`, ""];
  lines.push(
    `- Where: ${KIND[e.kind]}${e.enforcementLevel ? `, ${e.enforcementLevel} by default` : ""}${e.kind !== "account" ? (e.audited ? "; also judged by `ami-guard audit`" : "; the pack only") : ""}.`,
    `- Judges: ${e.judges}.`,
    `- Practice: ${practices(e)}.`,
    `- Settings: ${settings(e, name)}.`,
    "",
    "| Finding | Severity | When |",
    "| --- | --- | --- |",
    ...Object.entries(e.findings).map(([k, f]) => `| ${code(k)} | ${f.severity} | ${cell(f.when)} |`),
    "",
    "Remediation:",
    "",
    ...steps(e.remediation),
    "",
  );
  return lines;
}

/** The document, before formatting. */
export function renderPoliciesDoc(): string {
  const pack = RULE_NAMES.filter((n) => CATALOGUE[n].kind !== "account");
  const account = RULE_NAMES.filter((n) => CATALOGUE[n].kind === "account");
  const lines = [
    "# Policies",
    "",
    "<!-- Generated from policy-pack/rules/catalogue.ts by `npm run docs`: edit the catalogue, not this file. -->",
    "",
    "Every rule AMI Guard judges, from one catalogue (`policy-pack/rules/catalogue.ts`) that the pack's policies,",
    "the audit's table, JSON, SARIF and ASFF output and this page all read. The pack's policies (`policy-pack/policies/`,",
    "one per file) judge every AMI they meet on its real facts; when the facts cannot be had a policy fails closed with a",
    "violation naming the AMI, the region and the cause. `ami-guard audit` judges existing images with the same rules",
    "and adds the account guardrail rules (`ec2-account-require-…`), which read account settings no stack declares.",
    "In the pack a violation carries its policy's severity; the audit reports each finding with its own severity.",
    "",
    "How the pack reads resources, where AMI facts come from and the settings' meaning and defaults:",
    "[docs/policy-pack.md](policy-pack.md); what the audit reads: [docs/audit.md](audit.md#what-it-checks).",
    "",
    "| Rule | Where | Level | Severity | Practice | Settings |",
    "| --- | --- | --- | --- | --- | --- |",
    ...RULE_NAMES.map((n) => {
      const e: CatalogueEntry = CATALOGUE[n];
      return `| [${code(n)}](#${n}) | ${KIND[e.kind]} | ${e.enforcementLevel ?? "—"} | ${severities(e)} | ${e.practices.join(", ")} | ${e.settings.map(code).join(", ") || "—"} |`;
    }),
    "",
    "## Pack policies",
    "",
    ...pack.flatMap(section),
    "## Account guardrails (audit)",
    "",
    ...account.flatMap(section),
  ];
  return lines.join("\n");
}

/** The document as committed: rendered, then formatted by the repository's Prettier settings. */
export async function policiesDoc(file: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prettier = require("prettier") as typeof import("prettier");
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(renderPoliciesDoc(), { ...options, filepath: file });
}
