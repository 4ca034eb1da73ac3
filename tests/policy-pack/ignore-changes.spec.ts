/** ec2-ami-disallow-ignore-changes: ignoreChanges over an AMI path (also by wildcard or nested) is blocked. */
import { strict as assert } from "node:assert";
import { ec2AmiDisallowIgnoreChanges as mutable } from "../../policy-pack/policies/ec2-ami-disallow-ignore-changes";
import { runPolicy } from "../helpers/policy";

describe("ec2-ami-disallow-ignore-changes", () => {
  it("blocks ignoreChanges on the AMI property", async () => {
    const r = await runPolicy(mutable, {
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      props: { imageId: "ami-00000000000000001" },
      ignoreChanges: ["imageId", "tags"],
    });
    assert.equal(r.violations.length, 1);
    assert.match(
      r.violations[0],
      /ignoreChanges on imageId keeps the old AMI running.*now ami-00000000000000001/,
    );
  });

  it("blocks a wildcard and nested spot fleet paths; passes other ignored properties", async () => {
    assert.equal(
      (
        await runPolicy(mutable, {
          type: "aws:ec2/instance:Instance",
          props: { ami: "ami-1" },
          ignoreChanges: ["*"],
        })
      ).violations.length,
      1,
    );
    assert.equal(
      (
        await runPolicy(mutable, {
          type: "aws:ec2/spotFleetRequest:SpotFleetRequest",
          props: {},
          ignoreChanges: ["launchSpecifications[0].ami"],
        })
      ).violations.length,
      1,
    );
    assert.deepEqual(
      (
        await runPolicy(mutable, {
          type: "aws:ec2/instance:Instance",
          props: { ami: "ami-1" },
          ignoreChanges: ["tags"],
        })
      ).violations,
      [],
    );
  });
});
