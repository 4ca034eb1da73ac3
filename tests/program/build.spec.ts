/**
 * The image-build account's stack (stacks/estate/Pulumi.build.yaml, accountRole image-build) under mocks: the
 * pipeline, the roles (publisher included) and the owner read role, and no fleet.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { OWNER_READ_ACTIONS } from "../../components/iam";
import { policyOf, runProgram, type ProgramRun } from "./program-checks";
import { assertIamSnapshot } from "./iam-documents";

const ESTATE_FILE = path.resolve(__dirname, "../../stacks/estate/Pulumi.build.yaml");

describe("stack build (image-build account): composed program under mocks", function () {
  let run: ProgramRun;
  before(async function () {
    run = await runProgram("build", "444444444444", ESTATE_FILE);
  });

  it("composes the pipeline and the owner read role, and no fleet", function () {
    const components = run.recorder.countsByType({ custom: false });
    assert.equal(components["ami-guard:components:GoldenImagePipeline"], 1);
    assert.equal(components["ami-guard:components:AmiOwnerReadRole"], 1);
    assert.equal(components["ami-guard:components:AmiIamRoles"], 1);
    assert.equal(components["ami-guard:components:ImmutableFleet"], undefined);
    const counts = run.recorder.countsByType({ custom: true });
    assert.equal(counts["aws:ec2/launchTemplate:LaunchTemplate"], undefined);
    assert.equal(counts["aws:autoscaling/group:Group"], undefined);
    assert.equal(run.outputs.accountRole, "image-build");
    assert.equal(run.outputs.fleetImageId, undefined);
    assert.ok(run.outputs.ownerReadRoleArn, "the owner read role's ARN is exported");
  });

  it("trusts the organisation's deployers from the stack file, for exactly the two image reads", function () {
    const role = run.recorder.one("aws:iam/role:Role", "owner-read-role").inputs;
    const trust = policyOf(role.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:PrincipalOrgID": "o-exampleorgid" },
      ArnLike: {
        "aws:PrincipalArn": [
          "arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer",
          "arn:aws:iam::*:role/ci-deployer",
        ],
      },
      "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": ["o-exampleorgid/r-ab12/ou-ab12-cdef3456/*"] },
    });
    const policy = policyOf(
      run.recorder.one("aws:iam/rolePolicy:RolePolicy", "owner-read-policy").inputs.policy,
    );
    assert.deepEqual(policy.Statement.flatMap((s) => s.Action as string).sort(), [...OWNER_READ_ACTIONS]);
  });

  it("shares the golden image with the workload OU only, tagged and approved", function () {
    const dist = run.recorder.one("aws:imagebuilder/distributionConfiguration:DistributionConfiguration")
      .inputs as { distributions: { amiDistributionConfiguration: Record<string, unknown> }[] };
    const ami = dist.distributions[0].amiDistributionConfiguration;
    assert.equal((ami.amiTags as Record<string, string>).Approved, "true");
    assert.deepEqual(JSON.parse(JSON.stringify(ami.launchPermission)), {
      organizationalUnitArns: ["arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456"],
    });
  });

  it("registers exactly the recorded IAM documents and resource names (tests/fixtures/iam)", function () {
    assertIamSnapshot("build", run.recorder);
  });
});
