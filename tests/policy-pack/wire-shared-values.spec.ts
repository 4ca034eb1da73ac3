/**
 * The pack hands every policy of one Analyze the same deserialised inputs (runtime/wire.ts). Property-based:
 * whatever the engine sends, the value the runtime hands out is exactly what its own deserialiser makes of the
 * request (downgraded), deeply frozen, and marked as plain data only when it holds no unknown, secret, asset or
 * reference: only then do policies read it without a copy (runtime/policy.ts resourceOf).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import fc from "fast-check";
import { loadAnalyzerStubs } from "../../src/analyzer/proto";
import {
  OUTPUT_SIG,
  RESOURCE_SIG,
  SECRET_SIG,
  SIG_KEY,
  installWireCompatibility,
  isPlainRequestValue,
} from "../../policy-pack/runtime/wire";
import { UNKNOWN } from "../helpers/policy";

const POLICY_DIR = path.dirname(require.resolve("@pulumi/policy/package.json"));
const stubs = loadAnalyzerStubs(POLICY_DIR);
installWireCompatibility();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require("@pulumi/policy/deserialize") as {
  deserializeProperties(s: unknown, proxySecrets: boolean): unknown;
};

/** What the runtime's own deserialiser makes of plain JSON data with secrets: the data, secrets unwrapped. */
function expected(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(expected);
  const o = v as Record<string, unknown>;
  if (o[SIG_KEY] === SECRET_SIG) return expected(o.value);
  if (o[SIG_KEY] === RESOURCE_SIG) return o.id;
  if (o[SIG_KEY] === OUTPUT_SIG) return expected(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, expected(x)]));
}

function deeplyFrozen(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  return Object.isFrozen(v) && Object.values(v as object).every(deeplyFrozen);
}

function holds(v: unknown, p: (x: unknown) => boolean): boolean {
  if (p(v)) return true;
  if (v === null || typeof v !== "object") return false;
  return Object.values(v as object).some((x) => holds(x, p));
}

const key = fc.oneof(
  fc.constantFrom("ami", "imageId", "tags", "launchTemplate", "value", "id"),
  fc.string({ maxLength: 6 }),
);
const leaf = fc.oneof(
  fc.constantFrom(UNKNOWN, "ami-00000000000000001", "true", "", null, true, false, 0, 1.5),
  fc.string({ maxLength: 8 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("arr"), tie("obj"), tie("signed")),
  arr: fc.array(tie("any"), { maxLength: 4 }),
  obj: fc.dictionary(key, tie("any"), { maxKeys: 4 }),
  signed: fc.oneof(
    tie("any").map((v) => ({ [SIG_KEY]: SECRET_SIG, value: v })),
    fc.constant({ [SIG_KEY]: RESOURCE_SIG, urn: "urn:pulumi:s::p::t::n", id: "i-1" }),
    fc.oneof(leaf, tie("obj")).map((v) => ({ [SIG_KEY]: OUTPUT_SIG, value: v, dependencies: [] })),
  ),
})).any;

describe("the inputs the runtime hands every policy of one Analyze", () => {
  it("are what the runtime's deserialiser makes of the request, frozen, and plain only when they hold nothing but data", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (props) => {
        const struct = stubs.struct.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
        const got = runtime.deserializeProperties(struct, false) as object;
        const sent = JSON.parse(JSON.stringify(props)) as unknown;
        assert.deepEqual(got, expected(sent));
        assert.ok(deeplyFrozen(got), "no policy can change what the next one reads");
        assert.equal(runtime.deserializeProperties(struct, false), got, "one value per request");
        const signed = holds(sent, (x) => x !== null && typeof x === "object" && SIG_KEY in (x as object));
        const unknown = holds(sent, (x) => x === UNKNOWN);
        assert.equal(isPlainRequestValue(got), !signed && !unknown);
      }),
      { numRuns: 500 },
    );
  });

  it("are copied for each request: a Struct sent again is a new request", () => {
    const a = runtime.deserializeProperties(stubs.struct.Struct.fromJavaScript({ ami: "ami-1" }), false);
    const b = runtime.deserializeProperties(stubs.struct.Struct.fromJavaScript({ ami: "ami-1" }), false);
    assert.notEqual(a, b);
    assert.deepEqual(a, b);
  });
});
