/**
 * The resource table's new types and notations through the pack started as the engine starts it, with the
 * inputs serialised as the engine sends them over gRPC: secrets, resource references and output values
 * (which @pulumi/policy's own deserialiser cannot read) must not fail Analyze and are still judged.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackProcess } from "../../src/analyzer/client";
import { UNKNOWN_VALUE, type AnalyzerInfo, type PolicyConfig } from "../../src/analyzer/types";
import { RULES } from "../../policy-pack/rules/rules";
import { OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY } from "../../policy-pack/runtime/wire";
import { image, resource, startPack, writeInventory } from "../helpers/engine";

const TRUSTED = "123456789012";
const GOOD = "ami-0123456789abcdef0";
const COMMUNITY = "ami-0fedcba9876543210";

describe("the resource table through the engine protocol", function () {
  this.timeout(60_000);
  let pack: PolicyPackProcess;
  let info: AnalyzerInfo;
  let inventory: string;

  before(async () => {
    // The helper's inventory with a "Snapshots" list (describe-snapshots shape) added.
    inventory = writeInventory([
      image({ id: GOOD, owner: TRUSTED }),
      image({ id: COMMUNITY, owner: "999988887777", public: true }),
    ]);
    const doc = JSON.parse(fs.readFileSync(inventory, "utf8")) as Record<string, unknown>;
    doc.Snapshots = [
      { SnapshotId: "snap-0000000000000000a", OwnerId: TRUSTED },
      { SnapshotId: "snap-0000000000000000b", OwnerId: "999988887777" },
    ];
    fs.writeFileSync(inventory, JSON.stringify(doc));
    pack = await startPack({ AMI_GUARD_INVENTORY: inventory });
    info = await pack.getAnalyzerInfo();
    const config: Record<string, PolicyConfig> = {};
    for (const p of info.policies) {
      config[p.name] = {
        enforcementLevel: p.enforcementLevel,
        properties: p.name === RULES.untrusted ? { trustedOwners: ["amazon", TRUSTED] } : {},
      };
    }
    await pack.configure(config);
  });

  after(async () => {
    await pack?.close();
    fs.rmSync(path.dirname(inventory), { recursive: true, force: true });
  });

  const mandatory = async (r: Parameters<PolicyPackProcess["analyze"]>[0]) =>
    (await pack.analyze(r)).diagnostics
      .filter((d) => d.enforcementLevel === "mandatory")
      .map((d) => `${d.policyName}: ${d.message}`);

  const cases: [string, (ami: unknown) => Record<string, unknown>][] = [
    [
      "aws:batch/computeEnvironment:ComputeEnvironment",
      (ami) => ({
        type: "MANAGED",
        computeResources: { ec2Configurations: [{ imageType: "ECS_AL2023", imageIdOverride: ami }] },
      }),
    ],
    ["aws:emr/cluster:Cluster", (ami) => ({ releaseLabel: "emr-7.0.0", customAmiId: ami })],
    ["aws:ssm/parameter:Parameter", (ami) => ({ type: "String", dataType: "aws:ec2:image", value: ami })],
    [
      "aws:elasticbeanstalk/environment:Environment",
      (ami) => ({
        settings: [{ namespace: "aws:autoscaling:launchconfiguration", name: "ImageId", value: ami }],
      }),
    ],
    ["aws-native:ec2:Instance", (ami) => ({ imageId: ami })],
    ["aws-native:ec2:LaunchTemplate", (ami) => ({ launchTemplateData: { imageId: ami } })],
    [
      "aws-native:ec2:SpotFleet",
      (ami) => ({ spotFleetRequestConfigData: { launchSpecifications: [{ imageId: ami }] } }),
    ],
    ["acme:index:Unlisted", (ami) => ({ spec: { image: ami } })],
  ];

  for (const [type, props] of cases) {
    it(`${type}: passes a sound image, blocks a community one, defers an unknown one`, async () => {
      assert.deepEqual(await mandatory(resource(type, "ok", props(GOOD) as never)), []);
      const bad = await mandatory(resource(type, "bad", props(COMMUNITY) as never));
      assert.ok(
        bad.some((m) => m.startsWith(RULES.untrusted) && m.includes(COMMUNITY)),
        bad.join("\n"),
      );
      const later = await pack.analyze(resource(type, "later", props(UNKNOWN_VALUE) as never));
      for (const d of later.diagnostics) assert.equal(d.enforcementLevel, "advisory", d.message);
      // An unknown value of an unlisted type is not known to be an AMI: it is judged at update, when known.
      if (!type.startsWith("acme:")) assert.ok(later.diagnostics.some((d) => d.policyName === RULES.missing));
    });
  }

  it("reads a secret AMI id as the AMI id", async () => {
    const secret = { [SIG_KEY]: SECRET_SIG, value: COMMUNITY };
    const bad = await mandatory(resource("aws:ec2/instance:Instance", "secret", { ami: secret } as never));
    assert.ok(
      bad.some((m) => m.startsWith(RULES.untrusted) && m.includes(COMMUNITY)),
      bad.join("\n"),
    );
  });

  it("does not fail Analyze on resource references and output values, and judges what they carry", async () => {
    const props = {
      ami: {
        [SIG_KEY]: OUTPUT_SIG,
        value: COMMUNITY,
        secret: true,
        dependencies: ["urn:pulumi:test::p::x::y"],
      },
      subnetId: {
        [SIG_KEY]: RESOURCE_SIG,
        urn: "urn:pulumi:test::p::aws:ec2/subnet:Subnet::s",
        id: "subnet-1",
        packageVersion: "",
      },
      iamInstanceProfile: { [SIG_KEY]: RESOURCE_SIG, urn: "urn:pulumi:test::p::my:component:Thing::c" },
      userData: { [SIG_KEY]: OUTPUT_SIG, dependencies: [] },
    };
    const bad = await mandatory(resource("aws:ec2/instance:Instance", "refs", props as never));
    assert.ok(
      bad.some((m) => m.startsWith(RULES.untrusted) && m.includes(COMMUNITY)),
      bad.join("\n"),
    );
    const later = await pack.analyze(
      resource("aws:ec2/instance:Instance", "later", {
        ami: { [SIG_KEY]: OUTPUT_SIG, dependencies: [] },
      } as never),
    );
    for (const d of later.diagnostics) assert.equal(d.enforcementLevel, "advisory", d.message);
  });

  it("counts ignoreChanges in the quoted-path form and on launchTemplate as mutable", async () => {
    for (const ignoreChanges of [['["ami"]'], ["launchTemplate"]]) {
      const r = await mandatory(
        resource("aws:ec2/instance:Instance", "pinned", { ami: GOOD }, { ignoreChanges }),
      );
      assert.deepEqual(
        r.map((m) => m.split(":")[0]),
        [RULES.mutable],
        ignoreChanges[0],
      );
    }
  });

  it("judges aws.ec2.Ami by the owner of the snapshots it is registered from", async () => {
    const ami = (snapshotId: string) =>
      resource("aws:ec2/ami:Ami", "registered", {
        name: "registered",
        rootDeviceName: "/dev/xvda",
        ebsBlockDevices: [{ deviceName: "/dev/xvda", snapshotId, encrypted: true }],
        tags: { Version: "1", Environment: "test", Approved: "false" },
      });
    assert.deepEqual(await mandatory(ami("snap-0000000000000000a")), []);
    const foreign = await mandatory(ami("snap-0000000000000000b"));
    assert.equal(foreign.length, 1, foreign.join("\n"));
    assert.match(foreign[0], /^ec2-ami-disallow-untrusted-owner: [^]*snap-0000000000000000b[^]*999988887777/);
    const unlisted = await mandatory(ami("snap-0000000000000000c"));
    assert.match(unlisted[0], /does not list the snapshot/);
  });

  it("blocks an Allowed AMIs criterion without imageProviders", async () => {
    const r = await mandatory(
      resource("aws:ec2/allowedImagesSettings:AllowedImagesSettings", "allowed", {
        state: "enabled",
        imageCriterions: [{ imageNames: ["*"] }],
      }),
    );
    assert.equal(r.length, 1);
    assert.match(r[0], /no imageProviders/);
  });
});
