/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { OrganizationGuardrails } from "../../components/organization-guardrails";
import { guardrailScp } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

describe("OrganizationGuardrails", function () {
  let rec: Recorder;
  before(async function () {
    rec = await installMocks();
  });

  it("declares one SCP with the guardrail document and one attachment per target", async function () {
    const o = new OrganizationGuardrails("o", {
      partition: "aws",
      environment: "prod",
      targetIds: ["ou-ab12-cdef3456", "333333333333"],
      tags: { ManagedBy: "ami-guard" },
    });
    await settle(o.policyId);
    const urn = await promiseOf(o.urn);
    assert.deepEqual(
      rec.registrations
        .filter((r) => r.parent === urn)
        .map((r) => r.type)
        .sort(),
      [
        "aws:organizations/policy:Policy",
        "aws:organizations/policyAttachment:PolicyAttachment",
        "aws:organizations/policyAttachment:PolicyAttachment",
      ],
    );
    const policy = rec.one("aws:organizations/policy:Policy").inputs as Record<string, any>;
    assert.equal(policy.type, "SERVICE_CONTROL_POLICY");
    assert.deepEqual(JSON.parse(policy.content), guardrailScp("aws"));
    const targets = rec
      .ofType("aws:organizations/policyAttachment:PolicyAttachment")
      .map((r) => r.inputs.targetId)
      .sort();
    assert.deepEqual(targets, ["333333333333", "ou-ab12-cdef3456"]);
    assert.ok(
      rec
        .ofType("aws:organizations/policyAttachment:PolicyAttachment")
        .every((r) => r.inputs.policyId === "p-examplescp1"),
    );
  });

  it("refuses to declare an SCP attached to nothing", function () {
    assert.throws(
      () =>
        new OrganizationGuardrails("o2", { partition: "aws", environment: "prod", targetIds: [], tags: {} }),
      /at least one target/,
    );
  });
});
