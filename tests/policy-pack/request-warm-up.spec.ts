/**
 * The request-path warm-up (policy-pack/runtime/request-warm-up.ts, run by runtime/policy.ts prepareForAnalysis
 * once the engine has configured the stack): it reads and writes a canned request with the runtime's own message
 * classes, yields to real work, opens no connection, and leaves the pack judging exactly as before.
 */
import { strict as assert } from "node:assert";
import { REQUEST_WARM_ROUNDS, warmRequestPath } from "../../policy-pack/runtime/request-warm-up";
import { prepareForAnalysis } from "../../policy-pack/runtime/policy";
import { ec2AmiDisallowUntrustedOwner } from "../../policy-pack/policies/ec2-ami-disallow-untrusted-owner";
import { TRUST_FIXTURE, image, runPolicy, useImages } from "../helpers/policy";
import { connectionsDuring } from "../helpers/connections";

const GOOD = "ami-0000000000000a001";
const COMMUNITY = "ami-0000000000000a002";

async function verdicts(): Promise<string[][]> {
  const out: string[][] = [];
  for (const ami of [GOOD, COMMUNITY]) {
    const r = await runPolicy(ec2AmiDisallowUntrustedOwner, {
      type: "aws:ec2/instance:Instance",
      props: { ami },
      providerProps: { region: "us-east-1" },
      config: TRUST_FIXTURE,
    });
    out.push(r.violations);
  }
  return out;
}

describe("the request-path warm-up", () => {
  it("makes the rounds it is asked for, and its default is enough to matter", async () => {
    assert.equal(await warmRequestPath({ rounds: 45 }), 45);
    assert.ok(REQUEST_WARM_ROUNDS >= 100);
  });

  it("yields to real work: it stops before its next batch once told, and makes none when told at once", async () => {
    assert.equal(await warmRequestPath({ stop: () => true }), 0);
    let calls = 0;
    const made = await warmRequestPath({ rounds: 1000, stop: () => ++calls > 2 });
    assert.ok(made > 0 && made < 1000, `stopped after ${made} rounds`);
    let begun = false;
    setImmediate(() => (begun = true));
    // An inventory-backed pack loads no AWS SDK: only the request path is warmed.
    const r = await prepareForAnalysis(() => begun, { AMI_GUARD_INVENTORY: "/nonexistent/inventory.json" });
    assert.equal(r.sdk, undefined);
    assert.ok(r.requestRounds < REQUEST_WARM_ROUNDS, `${r.requestRounds} rounds once analysis had begun`);
  });

  it("opens no connection and leaves every verdict as it was", async () => {
    useImages([
      image({ ImageId: GOOD }),
      image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
    ]);
    const before = await verdicts();
    assert.deepEqual(before[0], []);
    assert.ok(
      before[1].some((v) => v.includes("999999999999")),
      before[1].join(" | "),
    );
    const { value: rounds, connections } = await connectionsDuring(() => warmRequestPath());
    assert.equal(rounds, REQUEST_WARM_ROUNDS);
    assert.equal(connections, 0);
    assert.deepEqual(await verdicts(), before);
  });
});
