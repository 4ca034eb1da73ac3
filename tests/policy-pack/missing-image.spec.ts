/**
 * ec2-ami-disallow-missing-image: an AMI EC2 knows passes; an unknown id, an unresolvable reference, a value
 * that is no AMI id, an outside launch configuration and a missing region are blocked; and every AMI check
 * fails closed when the inventory named by AMI_GUARD_INVENTORY cannot be read.
 */
import { strict as assert } from "node:assert";
import { ec2AmiDisallowMissingImage as missing } from "../../policy-pack/policies/ec2-ami-disallow-missing-image";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";
import { setAmiSource } from "../../policy-pack/runtime/policy";

const region = { region: "us-east-1" };

describe("ec2-ami-disallow-missing-image", () => {
  beforeEach(() => useImages([image({ ImageId: "ami-00000000000000001" })]));

  it("passes an AMI EC2 knows", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "ami-00000000000000001" },
      providerProps: region,
    });
    assert.deepEqual(r, { violations: [], advisories: [], notApplicable: [] });
  });

  it("blocks an AMI id EC2 does not know, with the id and region", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "ami-0000000000000dead" },
      providerProps: region,
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /AMI ami-0000000000000dead was not found in us-east-1/);
  });

  it("blocks references it cannot resolve (an SSM parameter with no known value), naming the parameter", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      props: { imageId: "resolve:ssm:/golden/ami" },
      providerProps: region,
    });
    assert.equal(r.violations.length, 1);
    assert.match(
      r.violations[0],
      /cannot read SSM parameter \/golden\/ami: the inventory test inventory has no value/,
    );
  });

  it("blocks a value that is neither an AMI id nor a reference", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "my-golden-image" },
      providerProps: region,
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /"my-golden-image", not an AMI id/);
  });

  it("blocks an Auto Scaling group that names a launch configuration from outside the stack (both providers)", async () => {
    for (const [type, prop] of [
      ["aws:autoscaling/group:Group", "launchConfiguration"],
      ["aws-native:autoscaling:AutoScalingGroup", "launchConfigurationName"],
    ]) {
      const r = await runPolicy(missing, {
        type,
        props: { [prop]: "legacy-lc", minSize: 1, maxSize: 1 },
        providerProps: region,
      });
      assert.equal(r.violations.length, 1, type);
      assert.match(
        r.violations[0],
        /names launch configuration "legacy-lc", whose AMI the pack cannot verify/,
      );
    }
  });

  it("leaves a launch configuration made in the stack (unknown at preview) to its own resource's checks", async () => {
    const r = await runPolicy(missing, {
      type: "aws:autoscaling/group:Group",
      props: { launchConfiguration: UNKNOWN, minSize: 1, maxSize: 1 },
      providerProps: region,
    });
    assert.deepEqual(r.violations, []);
  });

  it("reports an id unknown at preview as checked at update (advisory), never throwing", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      props: { imageId: UNKNOWN },
      providerProps: region,
    });
    assert.deepEqual(r.violations, []);
    assert.equal(r.advisories.length, 1);
    assert.match(r.advisories[0], /not known until the update; it will be looked up and judged then/);
  });

  it("fails closed when no region can be found", async () => {
    const before = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const r = await runPolicy(missing, {
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-00000000000000001" },
      });
      assert.match(r.violations[0], /no region is set/);
    } finally {
      if (before.r !== undefined) process.env.AWS_REGION = before.r;
      if (before.d !== undefined) process.env.AWS_DEFAULT_REGION = before.d;
    }
  });

  it("takes the region from the resource's own region input first", async () => {
    const r = await runPolicy(missing, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "ami-0000000000000dead", region: "ap-south-1" },
      providerProps: region,
    });
    assert.match(r.violations[0], /in ap-south-1/);
  });
});

describe("the AMI source named by AMI_GUARD_INVENTORY", () => {
  const saved = process.env.AMI_GUARD_INVENTORY;
  afterEach(() => {
    if (saved === undefined) delete process.env.AMI_GUARD_INVENTORY;
    else process.env.AMI_GUARD_INVENTORY = saved;
    setAmiSource(undefined);
  });

  it("fails every AMI check closed, naming the file, when the inventory cannot be read", async () => {
    process.env.AMI_GUARD_INVENTORY = "/nonexistent/inventory.json";
    setAmiSource(undefined);
    const r = await runPolicy(missing, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "ami-00000000000000001" },
      providerProps: region,
    });
    assert.equal(r.violations.length, 1);
    assert.match(
      r.violations[0],
      /cannot verify the existence of AMI ami-00000000000000001 \(ami\) in us-east-1: cannot read inventory \/nonexistent\/inventory\.json: no such file/,
    );
  });
});
