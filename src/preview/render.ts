/**
 * Prints a preview like `pulumi preview` does: the plan as a tree (type, name, plan), the policy diagnostics
 * grouped by resource with their enforcement level, and the counts. `toJson` is the `--json` document.
 */
import type { PreviewReport, PlannedResource, ReportedDiagnostic } from "./preview";

export interface PreviewJson {
  stack: string;
  resources: { type: string; name: string; urn: string }[];
  diagnostics: { policy: string; level: string; message: string; urn: string }[];
}

export function toJson(r: PreviewReport): PreviewJson {
  return {
    stack: r.stack,
    resources: r.resources.map((x) => ({ type: x.type, name: x.name, urn: x.urn })),
    diagnostics: r.diagnostics.map((d) => ({
      policy: d.policy,
      level: d.level,
      message: d.message,
      urn: d.urn,
    })),
  };
}

const LEVEL_ORDER: Record<string, number> = { mandatory: 0, remediate: 0, advisory: 1, disabled: 2 };

function treeRows(resources: PlannedResource[]): { prefix: string; r: PlannedResource }[] {
  const shown = resources.filter((r) => !r.defaultProvider);
  const urns = new Set(shown.map((r) => r.urn));
  const children = new Map<string, PlannedResource[]>();
  const roots: PlannedResource[] = [];
  for (const r of shown) {
    if (r.parent && urns.has(r.parent)) {
      const list = children.get(r.parent) ?? [];
      list.push(r);
      children.set(r.parent, list);
    } else {
      roots.push(r);
    }
  }
  const rows: { prefix: string; r: PlannedResource }[] = [];
  const walk = (r: PlannedResource, lead: string, branch: string) => {
    rows.push({ prefix: lead + branch, r });
    const kids = children.get(r.urn) ?? [];
    const next = lead + (branch === "" ? "" : branch === "├─ " ? "│  " : "   ");
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1 ? "└─ " : "├─ "));
  };
  for (const r of roots) walk(r, "", "");
  return rows;
}

function indent(text: string, pad: string): string {
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}

export function renderText(r: PreviewReport): string {
  const out: string[] = [];
  out.push(
    `Previewing update (${r.stack}) offline: program under Pulumi's mocks, policy pack ${r.pack.name}@v${r.pack.version}`,
  );
  out.push(`AMI facts: ${r.facts}`);
  out.push(`Policy config: ${r.policyConfigSource}`);
  out.push("");
  const rows = treeRows(r.resources);
  const typeW = Math.max(4, ...rows.map((x) => x.prefix.length + x.r.type.length));
  const nameW = Math.max(4, ...rows.map((x) => x.r.name.length));
  const mark = new Map<string, string>();
  for (const d of r.diagnostics) {
    const m = d.level === "mandatory" || d.level === "remediate" ? "✗" : d.level === "advisory" ? "!" : "";
    if (m && mark.get(d.urn) !== "✗") mark.set(d.urn, m);
  }
  out.push(`     ${"Type".padEnd(typeW)}  ${"Name".padEnd(nameW)}  Plan     Policies`);
  for (const { prefix, r: x } of rows) {
    const m = mark.get(x.urn);
    const note = m === "✗" ? "mandatory violation" : m === "!" ? "advisory" : "";
    out.push(` +   ${(prefix + x.type).padEnd(typeW)}  ${x.name.padEnd(nameW)}  create   ${note}`.trimEnd());
  }
  out.push("");
  const byUrn = new Map<string, ReportedDiagnostic[]>();
  for (const d of r.diagnostics) {
    const list = byUrn.get(d.urn) ?? [];
    list.push(d);
    byUrn.set(d.urn, list);
  }
  out.push("Policies:");
  if (r.diagnostics.length === 0) {
    out.push(`    ✓ ${r.pack.name}@v${r.pack.version}: no violations`);
  } else {
    out.push(`    ${r.mandatory > 0 ? "✗" : "!"} ${r.pack.name}@v${r.pack.version}`);
    const byResource = new Map(r.resources.map((x) => [x.urn, x]));
    for (const [urn, ds] of byUrn) {
      const res = byResource.get(urn);
      out.push(`      ${res ? `${res.type} "${res.name}"` : urn || "(the stack)"}`);
      for (const d of [...ds].sort((a, b) => (LEVEL_ORDER[a.level] ?? 3) - (LEVEL_ORDER[b.level] ?? 3))) {
        out.push(`        - [${d.level}]  ${d.policy}`);
        out.push(indent(d.message, "            "));
      }
    }
  }
  out.push("");
  const shown = r.resources.filter((x) => !x.defaultProvider).length;
  const advisory = r.diagnostics.filter((d) => d.level === "advisory").length;
  out.push("Resources:");
  out.push(`    + ${shown} to create`);
  out.push("");
  out.push(
    r.mandatory > 0
      ? `Result: ${r.mandatory} mandatory policy violation(s), ${advisory} advisory: the update would be blocked.`
      : `Result: no mandatory policy violations (${advisory} advisory).`,
  );
  return out.join("\n") + "\n";
}
