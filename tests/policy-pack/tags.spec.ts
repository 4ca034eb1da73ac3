import { strict as assert } from "node:assert";
import { ec2AmiRequireTags as policy } from "../../policy-pack/policies/ec2-ami-require-tags";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";

const region = { region: "us-east-1" };
const instance = (ami: unknown, config?: Record<string, unknown>) => ({
  type: "aws:ec2/instance:Instance",
  props: { ami },
  providerProps: region,
  config,
});

describe("ec2-ami-require-tags", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001" }),
      image({
        ImageId: "ami-00000000000000002",
        Tags: [
          { Key: "Version", Value: "1" },
          { Key: "Approved", Value: "false" },
        ],
      }),
      image({
        ImageId: "ami-00000000000000003",
        ImageOwnerAlias: "amazon",
        OwnerId: "137112412989",
        Tags: [],
      }),
    ]),
  );

  it("passes a launch of a tagged, approved image", async () => {
    assert.deepEqual((await runPolicy(policy, instance("ami-00000000000000001"))).violations, []);
  });

  it("blocks a missing tag and a value that is not allowed, in one message", async () => {
    const r = await runPolicy(policy, instance("ami-00000000000000002"));
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /missing required tag\(s\) Environment/);
    assert.match(r.violations[0], /Approved="false" \(allowed: true\)/);
  });

  it("exempts AWS's own images by default, and not when configured otherwise", async () => {
    assert.deepEqual((await runPolicy(policy, instance("ami-00000000000000003"))).violations, []);
    assert.equal(
      (await runPolicy(policy, instance("ami-00000000000000003", { tagExemptOwners: [] }))).violations.length,
      1,
    );
  });

  it("takes required tags and allowed values from config", async () => {
    const r = await runPolicy(
      policy,
      instance("ami-00000000000000001", { requiredTags: ["Owner"], allowedTagValues: {} }),
    );
    assert.match(r.violations[0], /missing required tag\(s\) Owner/);
  });

  it("requires the tag keys on images being made, not approval", async () => {
    const copy = (tags: unknown) =>
      runPolicy(policy, {
        type: "aws:ec2/amiCopy:AmiCopy",
        props: { sourceAmiId: "ami-00000000000000001", sourceAmiRegion: "us-east-1", tags },
      });
    assert.deepEqual((await copy({ Version: "2", Environment: "dev", Approved: "pending" })).violations, []);
    assert.match(
      (await copy({ Version: "2" })).violations[0],
      /the AMI it makes is missing required tag\(s\) Environment, Approved/,
    );
    assert.deepEqual((await copy(UNKNOWN)).violations, []);
    assert.deepEqual(
      (await copy({ Version: UNKNOWN, Environment: "dev", Approved: "false" })).violations,
      [],
    );
  });

  it("checks Image Builder amiTags per distribution", async () => {
    const r = await runPolicy(policy, {
      type: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      props: {
        distributions: [{ region: "us-east-1", amiDistributionConfiguration: { amiTags: { Version: "1" } } }],
      },
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /distributions\[0\] \(us-east-1\)/);
  });
});
