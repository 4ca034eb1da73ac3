/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { ImmutableFleet, type ImmutableFleetArgs } from "../../components/immutable-fleet";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-444444444444";
const base: ImmutableFleetArgs = {
  environment: "dev",
  imageId: "ami-0fedcba9876543210",
  keyArn: KEY,
  instanceType: "t3.micro",
  rootDeviceName: "/dev/xvda",
  rootVolumeSizeGiB: 20,
  minSize: 1,
  maxSize: 3,
  desiredCapacity: 2,
  subnetIds: [],
  availabilityZones: ["us-east-1a", "us-east-1b"],
  securityGroupIds: [],
  minHealthyPercentage: 50,
  tags: { ManagedBy: "ami-guard", Environment: "dev" },
};

describe("ImmutableFleet", function () {
  let rec: Recorder;
  before(async function () {
    rec = await installMocks();
  });

  it("declares a hardened launch template and an Auto Scaling group with rolling instance refresh", async function () {
    const f = new ImmutableFleet("f", base);
    await settle(f.autoScalingGroupName, f.imageId);
    const urn = await promiseOf(f.urn);
    const kids = rec.registrations.filter((r) => r.parent === urn);
    assert.deepEqual(kids.map((k) => k.type).sort(), [
      "aws:autoscaling/group:Group",
      "aws:ec2/launchTemplate:LaunchTemplate",
    ]);
    assert.ok(
      kids.every((k) => k.ignoreChanges.length === 0),
      "never ignoreChanges (on the AMI or anything else)",
    );
    const lt = rec.one("aws:ec2/launchTemplate:LaunchTemplate", "f-launch-template").inputs as Record<
      string,
      any
    >;
    assert.equal(lt.imageId, "ami-0fedcba9876543210");
    assert.equal(lt.metadataOptions.httpTokens, "required");
    assert.equal(lt.metadataOptions.httpPutResponseHopLimit, 1);
    assert.deepEqual(lt.blockDeviceMappings[0].ebs, {
      encrypted: "true",
      kmsKeyId: KEY,
      volumeType: "gp3",
      volumeSize: 20,
      deleteOnTermination: "true",
    });
    assert.equal(lt.networkInterfaces.length, 1);
    assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "false");
    assert.equal(lt.networkInterfaces[0].securityGroups, undefined);
    assert.equal(lt.updateDefaultVersion, true);
    const asg = rec.one("aws:autoscaling/group:Group", "f-asg").inputs as Record<string, any>;
    assert.deepEqual([asg.minSize, asg.maxSize, asg.desiredCapacity], [1, 3, 2]);
    assert.deepEqual(asg.availabilityZones, ["us-east-1a", "us-east-1b"]);
    assert.equal(asg.vpcZoneIdentifiers, undefined);
    assert.deepEqual(asg.launchTemplate, { id: "lt-0123456789abcdef0", version: "1" });
    assert.equal(asg.instanceRefresh.strategy, "Rolling");
    assert.equal(asg.instanceRefresh.preferences.minHealthyPercentage, 50);
    assert.equal(asg.instanceRefresh.preferences.autoRollback, true);
    assert.deepEqual(
      asg.tags.find((t: { key: string }) => t.key === "Environment"),
      { key: "Environment", value: "dev", propagateAtLaunch: true },
    );
    assert.equal(await promiseOf(f.imageId), "ami-0fedcba9876543210");
  });

  it("uses subnets and security groups when given", async function () {
    const f = new ImmutableFleet("g", {
      ...base,
      environment: "net",
      subnetIds: ["subnet-0123456789abcdef0"],
      availabilityZones: [],
      securityGroupIds: ["sg-0123456789abcdef0"],
    });
    await settle(f.autoScalingGroupName);
    const asg = rec.one("aws:autoscaling/group:Group", "g-asg").inputs as Record<string, any>;
    assert.deepEqual(asg.vpcZoneIdentifiers, ["subnet-0123456789abcdef0"]);
    assert.equal(asg.availabilityZones, undefined);
    const lt = rec.one("aws:ec2/launchTemplate:LaunchTemplate", "g-launch-template").inputs as Record<
      string,
      any
    >;
    assert.deepEqual(lt.networkInterfaces[0].securityGroups, ["sg-0123456789abcdef0"]);
  });
});
