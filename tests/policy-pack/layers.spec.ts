/**
 * The pack's layers and the one direction of their imports: policies → runtime → (aws →) rules. The rules are
 * pure (no AWS SDK, no runtime, no policy), shared with the CLI and the audit; the AWS edges (`aws/`) read EC2,
 * SSM and STS and know nothing of the engine; the runtime adapts both to @pulumi/policy; a policy reaches AWS only
 * through the runtime. Every import, export-from, `require`, `require.resolve` and dynamic `import()` of every
 * source file is read with the TypeScript parser, so a new back edge or a file outside the layers fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const PACK = path.resolve(__dirname, "..", "..", "policy-pack");

type Layer = "index" | "policies" | "runtime" | "aws" | "rules";

/** Which layers each layer may import, and which packages (node: builtins are listed as "node:"). */
const ALLOWED: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  index: { layers: ["policies", "runtime"], packages: /^@pulumi\/policy$/ },
  policies: { layers: ["policies", "runtime", "rules"], packages: /^@pulumi\/policy$/ },
  runtime: {
    layers: ["runtime", "aws", "rules"],
    packages: /^(node:|@pulumi\/policy(\/|$)|@aws-sdk\/client-)/,
  },
  aws: { layers: ["aws", "rules"], packages: /^(node:|@aws-sdk\/)/ },
  rules: { layers: ["rules"], packages: /^(node:|@pulumi\/policy(\/(schema|proxy))?$)/ },
};

function layerOf(file: string): Layer | undefined {
  const rel = path.relative(PACK, file).split(path.sep);
  if (rel.length === 1) return rel[0] === "index.ts" ? "index" : undefined;
  return (Object.keys(ALLOWED) as Layer[]).find((l) => l === rel[0]);
}

function sourceFiles(dir = PACK): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "bin" && e.name !== "node_modules") out.push(...sourceFiles(p));
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Every module specifier `text` names: import/export from, require(), require.resolve(), import(). */
function specifiers(file: string, text = fs.readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier)
      out.push((n.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference))
      out.push((n.moduleReference.expression as ts.StringLiteral).text);
    if (ts.isCallExpression(n) && n.arguments.length > 0 && ts.isStringLiteralLike(n.arguments[0])) {
      const callee = n.expression;
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === "require") ||
        (ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === "require" &&
          callee.name.text === "resolve")
      )
        out.push(n.arguments[0].text);
    }
    n.forEachChild(visit);
  };
  visit(source);
  return out;
}

/** The imports of `file` that break its layer's rule, one line each. */
function violations(file: string, text?: string): string[] {
  const layer = layerOf(file);
  const rel = path.relative(PACK, file);
  if (!layer) return [`${rel}: not in a layer (index.ts, policies/, runtime/, aws/, rules/)`];
  const allowed = ALLOWED[layer];
  const out: string[] = [];
  for (const spec of specifiers(file, text)) {
    if (spec.startsWith(".")) {
      let target = path.resolve(path.dirname(file), spec);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, "index.ts");
      else if (!target.endsWith(".ts")) target += ".ts";
      const to = target.startsWith(PACK + path.sep) ? layerOf(target) : undefined;
      if (!to) out.push(`${rel}: imports ${spec}, outside the pack's layers`);
      else if (!allowed.layers.includes(to)) out.push(`${rel}: ${layer} imports ${to} (${spec})`);
    } else if (!allowed.packages.test(spec)) {
      out.push(`${rel}: ${layer} imports the package ${spec}`);
    }
  }
  return out;
}

describe("policy pack layers: policies → runtime → (aws →) rules, and nothing else", function () {
  it("the scan sees every kind of import, and flags back edges, skipped layers and foreign packages", function () {
    const text = [
      'import { a } from "../runtime/policy";',
      'export { b } from "../policies/index";',
      'const c = require("../aws/lookup");',
      'const d = require.resolve("@aws-sdk/client-ec2");',
      'const e = import("../../src/cli/ami-guard");',
      'import f = require("yaml");',
      "// import { g } from '../policies/x'",
    ].join("\n");
    assert.deepEqual(violations(path.join(PACK, "rules", "sample.ts"), text), [
      "rules/sample.ts: rules imports runtime (../runtime/policy)",
      "rules/sample.ts: rules imports policies (../policies/index)",
      "rules/sample.ts: rules imports aws (../aws/lookup)",
      "rules/sample.ts: rules imports the package @aws-sdk/client-ec2",
      "rules/sample.ts: imports ../../src/cli/ami-guard, outside the pack's layers",
      "rules/sample.ts: rules imports the package yaml",
    ]);
    assert.deepEqual(
      violations(path.join(PACK, "policies", "sample.ts"), 'import { x } from "../aws/owner";'),
      ["policies/sample.ts: policies imports aws (../aws/owner)"],
    );
    assert.deepEqual(violations(path.join(PACK, "stray.ts"), ""), [
      "stray.ts: not in a layer (index.ts, policies/, runtime/, aws/, rules/)",
    ]);
  });

  it("every source file of the pack imports only along the layers", function () {
    const files = sourceFiles();
    assert.ok(files.length >= 25, `found ${files.length} source files`);
    for (const layer of Object.keys(ALLOWED) as Layer[])
      assert.ok(
        files.some((f) => layerOf(f) === layer),
        `no file in ${layer}`,
      );
    assert.deepEqual(
      files.flatMap((f) => violations(f)),
      [],
    );
  });

  it("the rows that must stay allowed: policies use the runtime and the rules; the runtime uses the AWS edges", function () {
    const all = sourceFiles().flatMap((f) => specifiers(f).map((s) => `${layerOf(f)} ${s}`));
    assert.ok(all.includes("policies ../runtime/policy"));
    assert.ok(all.includes("policies ../rules/rules"));
    assert.ok(all.includes("runtime ../aws/lookup"));
    assert.ok(all.includes("aws ../rules/facts"));
  });
});
