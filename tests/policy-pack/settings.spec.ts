import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy-pack/policies";
import { DEFAULT_SETTINGS, SettingsError, resolveSettings } from "../../policy-pack/rules/settings";

describe("pack settings", () => {
  it("defaults every setting", () => {
    assert.deepEqual(resolveSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(resolveSettings({ enforcementLevel: "advisory" }), DEFAULT_SETTINGS);
  });

  it("names the bad property", () => {
    const bad: [unknown, RegExp][] = [
      [{ maxAgeDays: "30" }, /^p\.maxAgeDays must be a whole number$/],
      [{ maxAgeDays: 1.5 }, /whole number/],
      [{ trustedOwners: "amazon" }, /^p\.trustedOwners must be a list$/],
      [{ trustedOwners: ["12345"] }, /p\.trustedOwners\[0\] "12345" does not match/],
      [{ allowedOrganizations: ["o-123"] }, /allowedOrganizations\[0\]/],
      [{ allowedTagValues: { Approved: "true" } }, /p\.allowedTagValues\.Approved must be a list/],
      [{ requiredTags: ["a", "a"] }, /must not repeat items/],
      [{ trustedOwner: ["amazon"] }, /unknown property p\.trustedOwner/],
      [[], /p must be an object/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => resolveSettings(raw, "p"),
        (e: Error) => e instanceof SettingsError && re.test(e.message),
        JSON.stringify(raw),
      );
    }
  });

  it("ships an example config that every policy accepts", () => {
    const file = path.join(__dirname, "../../policy-pack/config.example.json");
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const names = new Set(policies.map((p) => p.name));
    for (const [name, props] of Object.entries(config)) {
      assert.ok(names.has(name), `${name} is a policy of the pack`);
      const declared = Object.keys(policies.find((p) => p.name === name)!.configSchema?.properties ?? {});
      for (const key of Object.keys(props as object)) {
        if (key !== "enforcementLevel") assert.ok(declared.includes(key), `${name} declares ${key}`);
      }
      resolveSettings(props, name);
    }
  });

  it("gives every policy a complete-sentence description, remediation steps and a schema with defaults", () => {
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9]+-[a-z0-9]+-(disallow|require)-[a-z0-9-]+$/);
      assert.match(p.description, /^[A-Z].{40,}\.$/, p.name);
      assert.match(p.remediationSteps ?? "", /^1\. .+\.$/, p.name);
      for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
        assert.notEqual((s as { default?: unknown }).default, undefined, `${p.name}.${k} has a default`);
      }
    }
  });
});
