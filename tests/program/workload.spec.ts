/**
 * A workload account's stack (stacks/estate/Pulumi.workload.yaml, accountRole workload) under mocks: guardrails
 * trusting the image-build account, and a fleet launching the golden image it distributes; no pipeline.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runProgram, type ProgramRun } from "./program-checks";
import { assertIamSnapshot } from "./iam-documents";

const ESTATE_FILE = path.resolve(__dirname, "../../stacks/estate/Pulumi.workload.yaml");

describe("stack workload (workload account): composed program under mocks", function () {
  let run: ProgramRun;
  before(async function () {
    run = await runProgram("workload", "555555555555", ESTATE_FILE);
  });

  it("composes the guardrails and the fleet of the shared golden image, and no pipeline or owner read role", function () {
    const components = run.recorder.countsByType({ custom: false });
    assert.equal(components["ami-guard:components:ImmutableFleet"], 1);
    assert.equal(components["ami-guard:components:AccountGuardrails"], 1);
    assert.equal(components["ami-guard:components:GoldenImagePipeline"], undefined);
    assert.equal(components["ami-guard:components:AmiOwnerReadRole"], undefined);
    const counts = run.recorder.countsByType({ custom: true });
    assert.equal(counts["aws:imagebuilder/imageRecipe:ImageRecipe"], undefined);
    const lt = run.recorder.one("aws:ec2/launchTemplate:LaunchTemplate").inputs as Record<string, unknown>;
    assert.equal(lt.imageId, "ami-0a1b2c3d4e5f60718");
    assert.equal(run.outputs.fleetImageId, "ami-0a1b2c3d4e5f60718");
    assert.equal(run.outputs.goldenImageId, undefined);
    assert.equal(run.outputs.ownerReadRoleArn, undefined);
    assert.equal(run.outputs.accountRole, "workload");
  });

  it("trusts only Amazon's and the image-build account's images (Allowed AMIs)", function () {
    const s = run.recorder.one("aws:ec2/allowedImagesSettings:AllowedImagesSettings").inputs as Record<
      string,
      unknown
    >;
    assert.equal(s.state, "enabled");
    assert.match(JSON.stringify(s), /444444444444/);
  });

  it("registers exactly the recorded IAM documents and resource names (tests/fixtures/iam)", function () {
    assertIamSnapshot("workload", run.recorder);
  });
});
