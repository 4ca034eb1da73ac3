import { strict as assert } from "node:assert";
import { ec2AmiRequireEncryption as policy } from "../../policy-pack/policies/ec2-ami-require-encryption";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";

const KEY = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555";
const region = { region: "us-east-1" };
const lt = (imageId: unknown) => ({
  type: "aws:ec2/launchTemplate:LaunchTemplate",
  props: { imageId },
  providerProps: region,
});

describe("ec2-ami-require-encryption", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001" }),
      image({
        ImageId: "ami-00000000000000002",
        BlockDeviceMappings: [
          { DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-1", Encrypted: false } },
          { DeviceName: "/dev/xvdb", Ebs: { SnapshotId: "snap-2", Encrypted: true, KmsKeyId: KEY } },
          { DeviceName: "/dev/sdc", VirtualName: "ephemeral0" },
        ],
      }),
    ]),
  );

  it("passes a launch of an AMI whose snapshots are all encrypted", async () => {
    assert.deepEqual((await runPolicy(policy, lt("ami-00000000000000001"))).violations, []);
  });

  it("blocks a launch of an AMI with an unencrypted snapshot, naming the snapshot", async () => {
    const r = await runPolicy(policy, lt("ami-00000000000000002"));
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /AMI ami-00000000000000002 has unencrypted EBS snapshots \(snap-1\)/);
  });

  it("enforces allowedKmsKeys by the exact key ARN: account, region and key id must all match", async () => {
    const run = (allowedKmsKeys: string[]) =>
      runPolicy(policy, { ...lt("ami-00000000000000001"), config: { allowedKmsKeys } });
    assert.deepEqual((await run([KEY])).violations, [], "the image's own key ARN is allowed");
    for (const other of [
      "arn:aws:kms:us-east-1:111111111111:key/other",
      KEY.replace(":111111111111:", ":999999999999:"),
      KEY.replace(":us-east-1:", ":eu-west-1:"),
    ]) {
      const r = await run([other]);
      assert.equal(r.violations.length, 1, other);
      assert.match(r.violations[0], /not in allowedKmsKeys \(arn:aws:kms:us-east-1:111111111111:key\/1111/);
    }
  });

  it("refuses alias ARNs, alias names and bare key ids in allowedKmsKeys, naming the property", async () => {
    for (const entry of [
      "arn:aws:kms:us-east-1:111111111111:alias/golden",
      "alias/golden",
      "11111111-2222-3333-4444-555555555555",
    ]) {
      const r = await runPolicy(policy, {
        ...lt("ami-00000000000000001"),
        config: { allowedKmsKeys: [KEY, entry] },
      });
      assert.equal(r.violations.length, 1, entry);
      assert.match(r.violations[0], /invalid policy configuration: .*allowedKmsKeys\[1\]/);
      assert.match(r.violations[0], /alias|bare key id/);
      assert.match(r.violations[0], /key ARN/);
    }
  });

  it("requires AmiCopy to encrypt with a customer-managed key; reads booleans sent as strings", async () => {
    const copy = (props: Record<string, unknown>) =>
      runPolicy(policy, {
        type: "aws:ec2/amiCopy:AmiCopy",
        props: { sourceAmiId: "ami-00000000000000002", sourceAmiRegion: "us-east-1", ...props },
      });
    assert.deepEqual(
      (await copy({ encrypted: true, kmsKeyId: KEY })).violations,
      [],
      "source encryption is not held against a copy",
    );
    assert.deepEqual((await copy({ encrypted: "true", kmsKeyId: KEY })).violations, []);
    assert.match((await copy({ encrypted: "false", kmsKeyId: KEY })).violations[0], /not encrypted/);
    assert.match((await copy({})).violations[0], /not encrypted/);
    assert.match((await copy({ encrypted: true })).violations[0], /default key/);
    assert.deepEqual((await copy({ encrypted: UNKNOWN, kmsKeyId: UNKNOWN })).violations, []);
  });

  it("requires every Image Builder distribution to set a KMS key", async () => {
    const r = await runPolicy(policy, {
      type: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      props: {
        distributions: [
          { region: "us-east-1", amiDistributionConfiguration: { kmsKeyId: KEY } },
          { region: "eu-west-1", amiDistributionConfiguration: { amiTags: { Version: "1" } } },
          { region: "eu-central-1" },
          { region: "us-west-2", amiDistributionConfiguration: { kmsKeyId: UNKNOWN } },
        ],
      },
    });
    assert.equal(r.violations.length, 2);
    assert.match(r.violations[0], /distributions\[1\] \(eu-west-1\)/);
    assert.match(r.violations[1], /distributions\[2\] \(eu-central-1\)/);
  });

  it("blocks AmiFromInstance, whose encryption cannot be verified, and unencrypted Ami registrations", async () => {
    const fromInstance = await runPolicy(policy, {
      type: "aws:ec2/amiFromInstance:AmiFromInstance",
      props: { sourceInstanceId: "i-1" },
    });
    assert.equal(fromInstance.violations.length, 1);
    const ami = (encrypted: unknown) =>
      runPolicy(policy, {
        type: "aws:ec2/ami:Ami",
        props: { ebsBlockDevices: [{ deviceName: "/dev/xvda", snapshotId: "snap-1", encrypted }] },
      });
    assert.deepEqual((await ami(true)).violations, []);
    assert.equal((await ami(false)).violations.length, 1);
  });
});
