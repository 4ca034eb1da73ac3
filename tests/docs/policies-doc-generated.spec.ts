/** docs/policies.md is generated from the rule catalogue: the committed file is what `npm run docs` writes. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { RULE_NAMES, CATALOGUE } from "../../policy-pack/rules/catalogue";
import { POLICIES_DOC, policiesDoc } from "../../src/docs/policies";

const file = path.join(__dirname, "..", "..", POLICIES_DOC);

describe("docs/policies.md", () => {
  it("is up to date with the catalogue (run `npm run docs` after editing policy-pack/rules/catalogue.ts)", async () => {
    assert.equal(fs.readFileSync(file, "utf8"), await policiesDoc(file));
  });

  it("has a section per rule with its title, description, findings and remediation", async () => {
    const doc = await policiesDoc(file);
    for (const name of RULE_NAMES) {
      const e = CATALOGUE[name];
      const at = doc.indexOf(`### \`${name}\``);
      assert.ok(at >= 0, name);
      const end = doc.indexOf("\n### ", at + 1);
      const section = doc.slice(at, end < 0 ? undefined : end);
      assert.ok(section.includes(e.title) && section.includes(e.description), name);
      for (const kind of Object.keys(e.findings))
        assert.ok(section.includes(`\`${kind}\``), `${name} ${kind}`);
      assert.ok(section.includes("1. "), name);
    }
  });
});
