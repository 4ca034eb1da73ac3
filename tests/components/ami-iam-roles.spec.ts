/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { AmiIamRoles } from "../../components/ami-iam-roles";
import type { AccountContext, PolicyDocument } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const ctx: AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-444444444444";

describe("AmiIamRoles", function () {
  let rec: Recorder;
  let roles: AmiIamRoles;
  before(async function () {
    rec = await installMocks();
    roles = new AmiIamRoles("r", {
      account: ctx,
      environment: "dev",
      keyArn: KEY,
      trailBucketArn: "arn:aws:s3:::trail-bucket",
      trailLogGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/cloudtrail/ami-guard-dev",
      sharing: { accountIds: ["222222222222"], organizationArns: [], organizationalUnitArns: [] },
      trustedPrincipals: {
        builder: ["arn:aws:iam::111111111111:role/ci-builder"],
        publisher: ["arn:aws:iam::111111111111:role/ci-publisher"],
        deployer: ["arn:aws:iam::111111111111:role/ci-deployer"],
        auditor: ["arn:aws:iam::111111111111:role/audit"],
      },
      maxSessionDurationSeconds: 3600,
      tags: { ManagedBy: "ami-guard" },
    });
    await settle(roles.boundaryArn, roles.builderInstanceProfileName, ...Object.values(roles.roleArns));
  });

  it("declares exactly a boundary, four roles, four inline policies and the builder's instance profile", async function () {
    const urn = await promiseOf(roles.urn);
    const kids = rec.registrations.filter((r) => r.parent === urn);
    const counts: Record<string, number> = {};
    for (const k of kids) counts[k.type] = (counts[k.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:iam/policy:Policy": 1,
      "aws:iam/role:Role": 4,
      "aws:iam/rolePolicy:RolePolicy": 4,
      "aws:iam/instanceProfile:InstanceProfile": 1,
    });
    assert.equal(
      rec.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length,
      0,
      "no managed policies",
    );
  });

  it("names roles under /ami-guard/, bounds each, and trusts only the configured principals (EC2 for the builder)", async function () {
    const boundaryArn = await promiseOf(roles.boundaryArn);
    for (const kind of ["builder", "publisher", "deployer", "auditor"] as const) {
      const role = rec.one("aws:iam/role:Role", `r-${kind}`).inputs as Record<string, any>;
      assert.equal(role.name, `ami-guard-dev-${kind}`);
      assert.equal(role.path, "/ami-guard/");
      assert.equal(role.permissionsBoundary, boundaryArn);
      assert.equal(role.maxSessionDuration, 3600);
      const trust = JSON.parse(role.assumeRolePolicy) as PolicyDocument;
      const principals = trust.Statement.flatMap((s) => {
        const p = s.Principal as { AWS?: string[]; Service?: string[] };
        return [...(p.AWS ?? []), ...(p.Service ?? [])];
      });
      assert.ok(!principals.some((p) => p.endsWith(":root") || p === "*"), `${kind} trusts a root or *`);
      assert.deepEqual(
        principals.filter((p) => p.includes("amazonaws.com")),
        kind === "builder" ? ["ec2.amazonaws.com"] : [],
      );
      assert.equal(
        await promiseOf(roles.roleArns[kind]),
        `arn:aws:iam::111111111111:role/ami-guard/ami-guard-dev-${kind}`,
      );
    }
    const profile = rec.one("aws:iam/instanceProfile:InstanceProfile").inputs as Record<string, any>;
    assert.equal(profile.role, "ami-guard-dev-builder");
  });

  it("attaches the documents of components/iam: no wildcard actions, boundary allows exactly the union", async function () {
    const union = new Set<string>();
    for (const kind of ["builder", "publisher", "deployer", "auditor"]) {
      const doc = JSON.parse(
        rec.one("aws:iam/rolePolicy:RolePolicy", `r-${kind}-policy`).inputs.policy as string,
      ) as PolicyDocument;
      for (const s of doc.Statement) {
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        assert.ok(!actions.some((a) => a.includes("*")), `${kind} ${s.Sid} has a wildcard action`);
        if (s.Effect === "Allow") actions.forEach((a) => union.add(a));
      }
    }
    const boundary = JSON.parse(rec.one("aws:iam/policy:Policy").inputs.policy as string) as PolicyDocument;
    assert.deepEqual(boundary.Statement[0].Action, [...union].sort());
    assert.ok(boundary.Statement.slice(1).every((s) => s.Effect === "Deny"));
  });
});
