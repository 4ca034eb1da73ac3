/**
 * The contract between the offline preview and the tests: both record a program with the one recorder
 * (`src/preview/recorder.ts`), so what the preview hands the policy pack and what the program specs assert on are
 * the same registrations. Here one fixture program runs through the preview's runner (its own process, preview
 * semantics) and under the tests' mocks (this process), and the two records must agree field by field; they may
 * differ only where a preview cannot know a value: the root stack resource the language host adds, ids (and so
 * provider references), and values computed from another resource's outputs, which the preview sends as unknown.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../src/preview/preview";
import type { RegisteredResource } from "../../src/preview/protocol";
import { deserializeWire, ROOT_TYPE, UNKNOWN } from "../../src/preview/recorder";
import { installMocks, settle, type Registration } from "../helpers/mocks";

const ROOT = path.resolve(__dirname, "../..");
const PROGRAM = path.join(ROOT, "tests/fixtures/recorder/index.ts");
const PROJECT = "recorder-fixture";
const STACK = "contract";
const CONFIG = { "aws:region": "us-east-1" };

/**
 * The fields that must be equal on both sides (everything recorded but ids, inputs and outputs), as JSON: the
 * preview's record crosses the runner's IPC channel as JSON, which drops undefined fields.
 */
function options(r: RegisteredResource): unknown {
  return JSON.parse(
    JSON.stringify({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      version: r.version,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
      protect: r.protect,
      ignoreChanges: r.ignoreChanges,
      deleteBeforeReplace: r.deleteBeforeReplace,
      additionalSecretOutputs: r.additionalSecretOutputs,
      customTimeouts: r.customTimeouts,
    }),
  );
}

/** The wire keys whose value is the engine's unknown marker. */
function unknownKeys(wire: Record<string, unknown>): string[] {
  return Object.keys(wire).filter((k) => wire[k] === UNKNOWN);
}

describe("recorder contract: the preview's runner and the tests' mocks record a program alike", function () {
  let preview: RegisteredResource[];
  let tests: Registration[];
  let root: RegisteredResource;

  before(async function () {
    const run = await runProgram(
      {
        program: PROGRAM,
        project: PROJECT,
        stack: STACK,
        organization: "organization",
        config: CONFIG,
        secretKeys: [],
        region: "us-east-1",
      },
      ROOT,
    );
    [root, ...preview] = run.resources;
    const recorder = await installMocks({ config: CONFIG, project: PROJECT, stack: STACK });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(PROGRAM) as { keyArn: pulumi.Output<string> };
    await settle(program.keyArn);
    tests = recorder.registrations;
  });

  it("the preview runs the program in the root stack resource the language host adds", function () {
    assert.equal(root.type, ROOT_TYPE);
    assert.equal(root.urn, `urn:pulumi:${STACK}::${PROJECT}::${ROOT_TYPE}::${PROJECT}-${STACK}`);
  });

  it("records the same registrations, in the same order, with the same URNs and options", function () {
    assert.equal(tests.length, 6, "the provider, the component, its three children and the instance");
    assert.deepEqual(
      preview.map(options),
      tests.map((r) => options(r.wire)),
    );
    // The options that the fixture sets are really there (the comparison is not of empty fields).
    const byName = new Map(tests.map((r) => [r.name, r]));
    assert.equal(byName.get("box-key")!.protect, true);
    assert.deepEqual(byName.get("box-key")!.customTimeouts, { create: 300, delete: 90, update: undefined });
    assert.deepEqual(byName.get("box-alias")!.dependencies, [byName.get("box-key")!.urn]);
    assert.equal(byName.get("box-alias")!.deleteBeforeReplace, true);
    assert.deepEqual(byName.get("box-param")!.ignoreChanges, ["value", "tags"]);
    assert.ok(byName.get("box-param")!.additionalSecretOutputs.includes("arn"));
  });

  it("parents: the same, but the preview's top-level resources are children of its root stack", function () {
    for (const [i, p] of preview.entries()) {
      assert.equal(p.parent === root.urn ? "" : p.parent, tests[i].parent, p.urn);
    }
    assert.equal(tests.find((r) => r.name === "box-key")!.parent, tests.find((r) => r.name === "box")!.urn);
  });

  it("providers: the same provider resource; its id is unknown in the preview and known under the tests' mocks", function () {
    const west = tests.find((r) => r.type === "pulumi:providers:aws")!;
    for (const [i, p] of preview.entries()) {
      const [urn, id] = p.provider
        ? [
            p.provider.slice(0, p.provider.lastIndexOf("::")),
            p.provider.slice(p.provider.lastIndexOf("::") + 2),
          ]
        : ["", ""];
      const t = tests[i].provider;
      assert.equal(urn, t ? t.slice(0, t.lastIndexOf("::")) : "", p.urn);
      if (p.provider) assert.equal(id, UNKNOWN, p.urn);
    }
    const vm = tests.find((r) => r.name === "vm")!;
    assert.ok(vm.provider.startsWith(`${west.urn}::`), vm.provider);
  });

  it("inputs: the same wire values, but for those computed from outputs, which the preview sends as unknown", function () {
    const differing: string[] = [];
    for (const [i, p] of preview.entries()) {
      const t = tests[i].wire.inputs;
      const unknown = unknownKeys(p.inputs);
      for (const k of unknown) differing.push(`${p.name}.${k}`);
      const known = (w: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(w).filter(([k]) => !unknown.includes(k)));
      assert.deepEqual(known(p.inputs), known(t), p.urn);
      for (const k of unknown)
        assert.notEqual(t[k], undefined, `${p.urn}: ${k} is known under the tests' mocks`);
    }
    assert.deepEqual(differing, ["box-alias.targetKeyId"]);
  });

  it("secrets travel as secret values on both sides; specs read inputs deserialised as the SDK does", function () {
    const param = tests.find((r) => r.name === "box-param")!;
    const wire = preview.find((r) => r.name === "box-param")!.inputs;
    assert.deepEqual(wire.value, param.wire.inputs.value);
    assert.deepEqual(param.inputs, deserializeWire(pulumi, param.wire.inputs));
    assert.equal((param.inputs.value as { value: unknown }).value, "not-a-real-secret");
    assert.deepEqual(param.inputs.tags, { team: "platform" });
  });

  it("outputs: registerOutputs is recorded; a component's output computed from a child is unknown in the preview", function () {
    const box = preview.find((r) => r.name === "box")!;
    assert.equal(box.outputs.keyArn, UNKNOWN);
    const testBox = tests.find((r) => r.name === "box")!;
    assert.match(String(testBox.wire.outputs.keyArn), /^arn:aws:kms:us-east-1:111111111111:key\//);
  });
});
