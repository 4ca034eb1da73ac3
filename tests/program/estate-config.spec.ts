/** The estate keys of the stack config (accountRole, ownerReadRoles, the owner read role's trust): pure parseConfig. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { ConfigError, parseConfig } from "../../config";
import { loadStackConfig } from "../helpers/mocks";

const estate = (stack: string) =>
  loadStackConfig(stack, undefined, path.resolve(__dirname, `../../stacks/estate/Pulumi.${stack}.yaml`));

describe("config validation: the estate (accountRole)", function () {
  it("reads the image-build and workload stacks, and keeps the shipped stacks standalone", function () {
    const b = parseConfig(estate("build"), "build");
    assert.equal(b.estate.role, "image-build");
    assert.equal(b.fleet, undefined);
    assert.ok(b.pipeline);
    assert.deepEqual(b.estate.ownerReadRole, {
      organizationId: "o-exampleorgid",
      organizationPaths: ["o-exampleorgid/r-ab12/ou-ab12-cdef3456/*"],
      principalArnPatterns: [
        "arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer",
        "arn:aws:iam::*:role/ci-deployer",
      ],
    });
    const w = parseConfig(estate("workload"), "workload");
    assert.equal(w.estate.role, "workload");
    assert.equal(w.pipeline, undefined);
    assert.deepEqual(w.fleet?.ami, { kind: "image", imageId: "ami-0a1b2c3d4e5f60718" });
    assert.deepEqual(w.estate.ownerReadRoles, {
      "444444444444": "arn:aws:iam::444444444444:role/ami-guard/ami-owner-read",
    });
    assert.equal(w.ami.maxAgeDays, 60);
    for (const st of ["dev", "staging", "prod"]) {
      const c = parseConfig(loadStackConfig(st), st);
      assert.equal(c.estate.role, "standalone");
      assert.deepEqual(c.estate.ownerReadRoles, {});
      assert.equal(c.estate.ownerReadRole, undefined);
      assert.ok(c.pipeline && c.fleet);
    }
  });

  const bad: [string, Record<string, string | undefined>, string, RegExp][] = [
    [
      "workload",
      { "ami-guard:fleetAmi": "pipeline" },
      "ami-guard:fleetAmi",
      /workload stack has no pipeline/,
    ],
    [
      "workload",
      { "ami-guard:parentImage": "arn:aws:imagebuilder:eu-west-1:aws:image/x/x.x.x" },
      "ami-guard:parentImage",
      /not used when accountRole is workload/,
    ],
    [
      "build",
      { "ami-guard:fleetAmi": "ami-0a1b2c3d4e5f60718" },
      "ami-guard:fleetAmi",
      /not used when accountRole is image-build/,
    ],
    [
      "build",
      { "ami-guard:ownerReadRoleOrgId": undefined },
      "ami-guard:ownerReadRoleOrgId",
      /required for an image-build stack/,
    ],
    [
      "build",
      { "ami-guard:ownerReadRoleOrgId": "exampleorgid" },
      "ami-guard:ownerReadRoleOrgId",
      /organization id/,
    ],
    [
      "build",
      { "ami-guard:ownerReadRolePrincipalArnPatterns": "[]" },
      "ami-guard:ownerReadRolePrincipalArnPatterns",
      /must not be empty/,
    ],
    [
      "build",
      { "ami-guard:ownerReadRolePrincipalArnPatterns": '["arn:aws:iam::*:role/*"]' },
      "ami-guard:ownerReadRolePrincipalArnPatterns",
      /naming the deploy roles/,
    ],
    [
      "build",
      { "ami-guard:ownerReadRoleOrgPaths": '["o-otherorg0001/r-ab12/*"]' },
      "ami-guard:ownerReadRoleOrgPaths",
      /a path of o-exampleorgid/,
    ],
    [
      "workload",
      {
        "ami-guard:ownerReadRoles":
          '{"444444444444":"arn:aws:iam::555555555555:role/ami-guard/ami-owner-read"}',
      },
      "ami-guard:ownerReadRoles",
      /role in account 555555555555, not in owner account 444444444444/,
    ],
    [
      "workload",
      { "ami-guard:ownerReadRoles": '["arn:aws:iam::444444444444:role/r"]' },
      "ami-guard:ownerReadRoles",
      /must be an object/,
    ],
    [
      "workload",
      { "ami-guard:ownerReadRoleOrgId": "o-exampleorgid" },
      "ami-guard:ownerReadRoleOrgId",
      /only an image-build account provisions/,
    ],
    [
      "workload",
      { "ami-guard:accountRole": "hub" },
      "ami-guard:accountRole",
      /one of standalone, image-build, workload/,
    ],
  ];
  for (const [stack, over, key, re] of bad) {
    it(`${stack}: rejects ${key}=${JSON.stringify(Object.values(over)[0])}`, function () {
      const raw: Record<string, string> = { ...estate(stack) };
      for (const [k, v] of Object.entries(over)) {
        if (v === undefined) delete raw[k];
        else raw[k] = v;
      }
      assert.throws(
        () => parseConfig(raw, stack),
        (e: unknown) => e instanceof ConfigError && e.key === key && re.test(e.message),
      );
    });
  }
});
