/**
 * The rule catalogue is the one home of every rule's words: the pack's policies carry exactly its entries (name,
 * title, description, severity, practices, remediation, level, settings), every pack policy has an entry and
 * every entry of the pack has a policy, and each entry is complete (sentences, numbered steps, practices 1–10,
 * known settings, its severity among its findings').
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { policies } from "../../policy-pack/policies";
import {
  AUDITED_RULES,
  CATALOGUE,
  PRACTICES,
  RULE_NAMES,
  RULES,
  GUARDRAIL_RULES,
  STACK_RULES,
  SEVERITIES,
  finding,
  ruleEntry,
  type CatalogueEntry,
} from "../../policy-pack/rules/catalogue";
import { DEFAULT_SETTINGS } from "../../policy-pack/rules/settings";

const entries = RULE_NAMES.map((n) => [n, CATALOGUE[n] as CatalogueEntry] as const);

describe("rule catalogue", () => {
  it("has one entry per pack policy, and one pack policy per pack entry, in the pack's order", () => {
    assert.deepEqual(
      policies.map((p) => p.name),
      entries.filter(([, e]) => e.kind !== "account").map(([n]) => n),
    );
  });

  it("names every rule of RULES, STACK_RULES and GUARDRAIL_RULES, and nothing else", () => {
    assert.deepEqual(
      [...RULE_NAMES].sort(),
      [...Object.values(RULES), ...Object.values(STACK_RULES), ...Object.values(GUARDRAIL_RULES)].sort(),
    );
    assert.equal(ruleEntry("constructor"), undefined);
    assert.equal(ruleEntry("ec2-ami-unknown"), undefined);
  });

  for (const p of policies) {
    it(`${p.name}: the policy's metadata is its catalogue entry`, () => {
      const e = CATALOGUE[p.name as keyof typeof CATALOGUE] as CatalogueEntry;
      assert.equal(p.displayName, e.title);
      assert.equal(p.description, e.description);
      assert.equal(p.remediationSteps, e.remediation);
      assert.equal(p.severity, e.severity);
      assert.equal(p.enforcementLevel, e.enforcementLevel);
      assert.deepEqual(p.tags, ["ami-guard", ...e.practices.map((n) => PRACTICES[n].tag)]);
      assert.deepEqual(Object.keys(p.configSchema?.properties ?? {}), [...e.settings]);
    });
  }

  for (const [name, e] of entries) {
    it(`${name}: a complete entry`, () => {
      assert.match(name, /^(ec2-ami|ec2-account)-(disallow|require)-[a-z0-9-]+$/);
      assert.ok(e.title.length > 0 && !e.title.endsWith("."), "a title, not a sentence");
      for (const s of [e.summary, e.description]) assert.match(s, /^[A-Z].*\.$/s, "complete sentences");
      assert.match(e.remediation, /^1\. [A-Z]/, "numbered steps");
      assert.ok(e.help.length > 0);
      assert.ok(e.practices.length > 0);
      for (const p of e.practices) assert.ok(p in PRACTICES, `practice ${p}`);
      for (const s of e.settings) assert.ok(s in DEFAULT_SETTINGS, `setting ${s}`);
      if (e.settingsFallback) assert.ok(ruleEntry(e.settingsFallback), "the fallback is a rule");
      const kinds = Object.values(e.findings);
      assert.ok(kinds.length > 0, "at least one kind of finding");
      for (const k of kinds) {
        assert.ok(SEVERITIES.includes(k.severity));
        assert.ok(k.when.length > 0);
      }
      assert.ok(
        kinds.some((k) => k.severity === e.severity),
        "the rule's severity is the severity of one of its findings",
      );
      assert.equal(e.kind === "account", e.enforcementLevel === undefined, "pack rules have a level");
      if (e.kind === "account") assert.ok(e.audited, "account rules are the audit's");
    });
  }

  it("a finding takes its severity from the catalogue", () => {
    assert.deepEqual(finding({ rule: RULES.stale, kind: "notAvailable", message: "m", fix: "f" }), {
      rule: RULES.stale,
      severity: "high",
      message: "m",
      fix: "f",
    });
    assert.equal(
      finding({ rule: GUARDRAIL_RULES.snapshotBlockPublicAccess, kind: "newOnly", message: "", fix: "" })
        .severity,
      "low",
    );
  });

  it("no severity is written outside the catalogue: every finding of the pack, the audit and its guardrails is built with finding()", () => {
    const written = (file: string, text: string): string[] => {
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
      const out: string[] = [];
      const visit = (n: ts.Node) => {
        if (
          (ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n)) &&
          n.name.getText(source) === "severity"
        )
          out.push(`${file}: ${n.getText(source)}`);
        n.forEachChild(visit);
      };
      visit(source);
      return out;
    };
    assert.deepEqual(written("sample.ts", 'const f = { rule, severity: "high", message };'), [
      'sample.ts: severity: "high"',
    ]);
    const root = path.resolve(__dirname, "../../policy-pack");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== "bin" && e.name !== "node_modules") walk(p);
        else if (e.isFile() && e.name.endsWith(".ts")) files.push(p);
      }
    };
    walk(root);
    const found = files
      .filter((f) => path.basename(f) !== "catalogue.ts")
      .flatMap((f) => written(path.relative(root, f), fs.readFileSync(f, "utf8")));
    // The runtime hands the entry's own severity to @pulumi/policy (its policy metadata), nothing else.
    assert.deepEqual(found, ["runtime/policy.ts: severity: entry.severity"]);
  });

  it("the audit judges the six AMI rules and the seven account rules", () => {
    assert.deepEqual(AUDITED_RULES, [
      RULES.untrusted,
      RULES.unencrypted,
      RULES.untagged,
      RULES.shared,
      RULES.stale,
      RULES.missing,
      ...Object.values(GUARDRAIL_RULES),
    ]);
  });
});
