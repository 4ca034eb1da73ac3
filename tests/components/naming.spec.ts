/**
 * One prefix function: the `ami-guard-…` prefix of resource names (and the `/ami-guard/` path) is built only in
 * components/iam/naming.ts (`amiGuardName`, `ROLE_PATH`). Every string and template literal of the program
 * (index.ts, components/) is read with the TypeScript parser, so comments do not count and a name built by hand
 * anywhere else fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const REPO = path.resolve(__dirname, "..", "..");
const NAMING = path.join("components", "iam", "naming.ts");

function programFiles(): string[] {
  const out = ["index.ts"];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".ts")) out.push(rel);
    }
  };
  walk("components");
  return out;
}

/** The string and template literals of `text` (the file `file`) that spell the prefix or the path. */
function handBuiltNames(file: string, text = fs.readFileSync(path.join(REPO, file), "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateLiteralToken(node)
    ) {
      // A module specifier names a package (the pack's workspace package `ami-guard-policies`), not a resource.
      const specifier =
        (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)) &&
        node.parent.moduleSpecifier === node;
      if (!specifier && /ami-guard[-/]/.test(node.text)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${file}:${line + 1}: ${JSON.stringify(node.text)}`);
      }
    }
    node.forEachChild(visit);
  };
  visit(source);
  return found;
}

describe("components/iam/naming: the one prefix function", function () {
  it("finds names built by hand in strings and templates, not in comments (the scan itself works)", function () {
    const text = [
      "// ami-guard-comment",
      "const a = `ami-guard-${env}-fleet`;",
      'const b = "alias/ami-guard-dev-ami";',
      "const c = `role/ami-guard/${name}`;",
      'const d = "ami-guard:components:AmiIamRoles";',
      'import { AMI_ID } from "ami-guard-policies/rules/patterns";',
      'const e = "ami-guard-policies";',
    ].join("\n");
    assert.deepEqual(handBuiltNames("sample.ts", text), [
      'sample.ts:2: "ami-guard-"',
      'sample.ts:3: "alias/ami-guard-dev-ami"',
      'sample.ts:4: "role/ami-guard/"',
      'sample.ts:7: "ami-guard-policies"',
    ]);
  });

  it("builds no ami-guard- name or /ami-guard/ path by hand outside naming.ts", function () {
    const files = programFiles().filter((f) => f !== NAMING);
    assert.ok(files.length > 10, `scanned ${files.length} files`);
    assert.deepEqual(
      files.flatMap((f) => handBuiltNames(f)),
      [],
    );
  });
});
