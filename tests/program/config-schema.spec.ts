/** The config table (config/schema.ts) and what derives from it: Pulumi.yaml's config block, the docs page, the parser. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  ConfigError,
  parseConfig,
  projectDefaults,
  qualified,
  type ConfigKey,
} from "../../config";
import { configurationDoc, projectConfigBlock } from "../../config/docs";
import type { KeySpec } from "../../config/spec";
import { withProjectConfig } from "../../config/write-docs";
import { loadStackConfig } from "../helpers/mocks";

const ROOT = path.resolve(__dirname, "../..");
const STALE = "stale: run `npm run docs:config` and commit the result";
const estate = (stack: string) =>
  loadStackConfig(stack, undefined, path.join(ROOT, `stacks/estate/Pulumi.${stack}.yaml`));

function rejection(raw: Record<string, string>, stack: string): ConfigError {
  try {
    parseConfig(raw, stack);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail("expected a ConfigError");
}

describe("config table (config/schema.ts)", function () {
  it("Pulumi.yaml's config block is exactly the table's rows with a default", function () {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    const project = parseYaml(text) as { config: unknown };
    assert.deepEqual(project.config, projectConfigBlock(), STALE);
    assert.equal(withProjectConfig(text), text, STALE);
  });

  it("docs/configuration.md is generated from the table and up to date", function () {
    const text = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
    assert.equal(text, configurationDoc(), STALE);
    for (const key of CONFIG_KEYS) assert.ok(text.includes(`| \`${key}\` |`), `${key} documented`);
  });

  it("projectDefaults() is the config the engine derives from Pulumi.yaml alone", function () {
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "config-schema-")), "Pulumi.none.yaml");
    fs.writeFileSync(empty, "config: {}\n");
    assert.deepEqual(projectDefaults(), loadStackConfig("none", ROOT, empty));
    assert.equal(Object.keys(projectDefaults()).length, 19);
  });

  it("every default is a valid value of its own row", function () {
    // A standalone stack reads every defaulted key: setting each default explicitly parses the same.
    const dev = loadStackConfig("dev");
    const base = parseConfig(dev, "dev");
    for (const [k, v] of Object.entries(projectDefaults())) {
      assert.doesNotThrow(() => parseConfig({ ...dev, [k]: v }, "dev"), k);
    }
    assert.ok(base);
  });

  /** A value each row rejects, by its type. */
  const badValue = (spec: KeySpec): string =>
    ({ string: "%%", enum: "%%", integer: "1.5", boolean: "yes", list: '["%%"]', map: "[" })[spec.type];

  it("every key is validated on its own: a bad value stops, naming the key and the stack file", function () {
    const stacks: Array<[string, Record<string, string>]> = [
      ["dev", loadStackConfig("dev")],
      ["build", estate("build")],
      ["workload", estate("workload")],
    ];
    const checked = new Set<ConfigKey>();
    for (const key of CONFIG_KEYS) {
      const spec: KeySpec = CONFIG_SCHEMA[key];
      for (const [stack, raw] of stacks) {
        const role = parseConfig(raw, stack).estate.role;
        if (spec.scope && !spec.scope.roles.includes(role)) continue;
        const e = rejection({ ...raw, [qualified(key)]: badValue(spec) }, stack);
        assert.equal(e.key, qualified(key), `${stack}: ${key}`);
        assert.equal(e.stackFile, `stacks/Pulumi.${stack}.yaml`);
        assert.match(
          e.message,
          new RegExp(
            `^Invalid configuration ${qualified(key)} in stacks/Pulumi\\.${stack}\\.yaml: (item 0 )?must `,
          ),
        );
        checked.add(key);
      }
    }
    assert.deepEqual([...checked].sort(), [...CONFIG_KEYS].sort());
  });

  it("a key the stack's role reads and that has no default is required, by role", function () {
    const dev = loadStackConfig("dev");
    const drop = (raw: Record<string, string>, key: string) =>
      Object.fromEntries(Object.entries(raw).filter(([k]) => k !== key));
    assert.match(
      rejection(drop(dev, "ami-guard:parentImage"), "dev").message,
      /parentImage in stacks\/Pulumi\.dev\.yaml: is required for a standalone stack$/,
    );
    assert.match(
      rejection(drop(dev, "ami-guard:sharingAccountIds"), "dev").message,
      /sharingAccountIds .*: is required but not set \(use \[\] for none\)$/,
    );
    assert.match(
      rejection(drop(dev, "ami-guard:alarmEmails"), "dev").message,
      /alarmEmails .*: is required but not set$/,
    );
    assert.match(
      rejection(drop(estate("workload"), "ami-guard:fleetAvailabilityZones"), "workload").message,
      /is required for a workload stack \(use \[\] for none\)$/,
    );
    assert.match(
      rejection(drop(estate("build"), "ami-guard:ownerReadRolePrincipalArnPatterns"), "build").message,
      /is required for an image-build stack$/,
    );
    // Optional keys: unset is their documented value.
    const b = parseConfig(drop(estate("build"), "ami-guard:ownerReadRoleOrgPaths"), "build");
    assert.deepEqual(b.estate.ownerReadRole?.organizationPaths, []);
  });

  it("a key with a default that the role does not read is ignored; one without is refused", function () {
    const w = estate("workload");
    const c = parseConfig({ ...w, "ami-guard:recipeComponents": '["update-linux"]' }, "workload");
    assert.equal(c.pipeline, undefined);
    assert.match(
      rejection({ ...w, "ami-guard:patchCadenceDays": "7" }, "workload").message,
      /patchCadenceDays .*: is not used when accountRole is workload \(it builds no images\): remove it$/,
    );
    assert.match(
      rejection({ ...estate("build"), "ami-guard:fleetAvailabilityZones": "[]" }, "build").message,
      /is not used when accountRole is image-build \(the workload accounts launch the images it shares\)/,
    );
  });

  it("checks list constraints: repeats, a value outside a closed set, an item that must be there", function () {
    const dev = loadStackConfig("dev");
    assert.match(
      rejection({ ...dev, "ami-guard:alarmEmails": '["a@example.com","a@example.com"]' }, "dev").message,
      /alarmEmails .*: must not repeat items$/,
    );
    assert.match(
      rejection({ ...dev, "ami-guard:logRetentionDays": "366" }, "dev").message,
      /must be a CloudWatch Logs retention value \(1, 3, 5, .*3653\), got 366$/,
    );
    assert.match(
      rejection({ ...dev, "ami-guard:allowedImageProviders": '["aws-marketplace"]' }, "dev").message,
      /must include amazon: the pipeline's parent images are owned by AWS$/,
    );
    assert.match(
      rejection({ ...dev, "ami-guard:fleetAvailabilityZones": '["us-east-1a","eu-west-1b"]' }, "dev").message,
      /fleetAvailabilityZones .*: item 1 must be an Availability Zone of us-east-1, got "eu-west-1b"$/,
    );
    assert.match(
      rejection({ ...dev, "ami-guard:fleetSubnetIds": '["subnet-0123abcd"]' }, "dev").message,
      /fleetAvailabilityZones .*: must be \[\] when fleetSubnetIds is set/,
    );
  });
});
