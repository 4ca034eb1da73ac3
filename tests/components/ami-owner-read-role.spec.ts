import assert from "node:assert/strict";
import { AmiOwnerReadRole } from "../../components/ami-owner-read-role";
import { OWNER_READ_ACTIONS } from "../../components/iam";
import type { PolicyDocument } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const TRUST = {
  organizationId: "o-exampleorgid",
  organizationPaths: ["o-exampleorgid/r-ab12/ou-ab12-cdef3456/*"],
  principalArnPatterns: ["arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer"],
};

describe("AmiOwnerReadRole", function () {
  let rec: Recorder;
  before(async function () {
    rec = await installMocks();
  });

  it("declares one role, its inline policy and its boundary, with exactly the two image reads", async function () {
    const r = new AmiOwnerReadRole("owner-read", {
      partition: "aws",
      trust: TRUST,
      tags: { Stack: "build" },
    });
    await settle(r.roleArn, r.boundaryArn);
    const urn = await promiseOf(r.urn);
    assert.deepEqual(
      rec.registrations
        .filter((x) => x.parent === urn)
        .map((x) => x.type)
        .sort(),
      ["aws:iam/policy:Policy", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"],
    );
    const role = rec.one("aws:iam/role:Role", "owner-read-role").inputs;
    assert.equal(role.name, "ami-owner-read");
    assert.equal(role.path, "/ami-guard/");
    assert.equal(role.maxSessionDuration, 3600);
    assert.ok(role.permissionsBoundary, "a boundary is attached");
    const trust = JSON.parse(role.assumeRolePolicy as string) as PolicyDocument;
    assert.equal(trust.Statement.length, 1);
    assert.equal(trust.Statement[0].Action, "sts:AssumeRole");
    assert.deepEqual(trust.Statement[0].Condition?.StringEquals, { "aws:PrincipalOrgID": "o-exampleorgid" });
    const actions = (d: PolicyDocument) =>
      d.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      );
    const policy = JSON.parse(
      rec.one("aws:iam/rolePolicy:RolePolicy", "owner-read-policy").inputs.policy as string,
    );
    const boundary = JSON.parse(
      rec.one("aws:iam/policy:Policy", "owner-read-boundary").inputs.policy as string,
    );
    assert.deepEqual(actions(policy).sort(), [...OWNER_READ_ACTIONS]);
    assert.deepEqual(actions(boundary).sort(), [...OWNER_READ_ACTIONS]);
  });

  it("refuses a trust without principal patterns, a bad organization id or an OU path of another organisation", function () {
    const bad = [
      { ...TRUST, principalArnPatterns: [] },
      { ...TRUST, organizationId: "exampleorgid" },
      { ...TRUST, organizationPaths: ["o-otherorg0001/r-ab12/*"] },
    ];
    for (const trust of bad)
      assert.throws(
        () => new AmiOwnerReadRole("bad", { partition: "aws", trust, tags: {} }),
        /organization|patterns/,
      );
  });
});
