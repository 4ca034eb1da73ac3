/**
 * Every AMI-bearing type and notation of the resource table, both providers, through the runtime-like
 * harness: a sound image passes, a community image fails naming the AMI and path, an id unknown at preview
 * is deferred (advisory), and the special notations (SSM aws:ec2:image, Elastic Beanstalk settings, EKS AMI
 * types, Cloud9 aliases, unlisted types, ignoreChanges paths) are judged as documented in the README.
 */
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import { RULES } from "../../policy-pack/rules/rules";
import { AMI_TABLE, amiUses, ignoreCovers, parsePropertyPath } from "../../policy-pack/rules/resources";
import { UNKNOWN, image, runPolicy, useImages, type TestResource } from "../helpers/policy";
import { propsAt, tableRows } from "../helpers/resources";

const GOOD = "ami-00000000000000001";
const COMMUNITY = "ami-00000000000000002";
const AMAZON = "ami-00000000000000003";
const TRUSTED = { trustedOwners: ["amazon", "111111111111"] };
const region = { region: "us-east-1" };

const byName = (name: string) => policies.find((p) => p.name === name) as ResourceValidationPolicy;
const untrusted = byName(RULES.untrusted);
const missing = byName(RULES.missing);
const mutable = byName(RULES.mutable);
const tagsPolicy = byName(RULES.untagged);
const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);

/** Inputs that make the image a maker declares sound, so that only the AMI under test is judged. */
const SOUND_MADE: Record<string, Record<string, unknown>> = {
  "aws:ec2/amiCopy:AmiCopy": {
    encrypted: true,
    kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555",
    tags: { Version: "1", Environment: "dev", Approved: "false" },
  },
};

/** Every resource policy over one resource, with the trusted-owner settings the fixture needs. */
async function runAll(r: TestResource) {
  const out: Record<string, { violations: string[]; advisories: string[] }> = {};
  for (const p of resourcePolicies) {
    const res = await runPolicy(p, { providerProps: region, config: TRUSTED, ...r });
    out[p.name] = { violations: res.violations, advisories: res.advisories };
  }
  return out;
}

describe("every AMI-bearing type of the table (both providers)", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: GOOD }),
      image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
      image({ ImageId: AMAZON, OwnerId: "137112412989", ImageOwnerAlias: "amazon", Public: true, Tags: [] }),
    ]),
  );

  for (const { type, prop } of tableRows(["deploy", "source", "publish"])) {
    describe(`${type} ${prop.path} (${prop.role})`, () => {
      it("passes a sound image of a trusted owner under every policy", async () => {
        const all = await runAll({ type, props: { ...SOUND_MADE[type], ...propsAt(type, prop, GOOD) } });
        for (const [name, r] of Object.entries(all)) {
          assert.deepEqual(r.violations, [], `${name}: ${r.violations.join(" | ")}`);
          assert.deepEqual(r.advisories, [], name);
        }
      });

      it("blocks a public community image, naming the AMI and the path", async () => {
        const r = await runPolicy(untrusted, {
          type,
          props: propsAt(type, prop, COMMUNITY),
          providerProps: region,
          config: TRUSTED,
        });
        assert.equal(r.violations.length, 1, r.violations.join(" | "));
        assert.match(r.violations[0], new RegExp(COMMUNITY));
        assert.match(r.violations[0], /community image/);
        const concrete = prop.path.replace(/\[\]/g, "[0]");
        assert.ok(r.violations[0].includes(`(${concrete})`), `${r.violations[0]} names ${concrete}`);
      });

      it("defers an AMI id unknown at preview: an advisory, never a violation", async () => {
        const all = await runAll({ type, props: { ...SOUND_MADE[type], ...propsAt(type, prop, UNKNOWN) } });
        for (const [name, r] of Object.entries(all)) assert.deepEqual(r.violations, [], name);
        assert.equal(all[RULES.missing].advisories.length, 1);
      });
    });
  }

  it("covers every deploy, source and publish path of the table", () => {
    const rows = tableRows(["deploy", "source", "publish"]);
    assert.ok(rows.length >= 30, `${rows.length} rows`);
    for (const { type, prop } of rows) {
      const uses = amiUses(type, propsAt(type, prop, GOOD));
      assert.equal(uses.length, 1, `${type} ${prop.path}`);
      assert.equal(uses[0].purpose, prop.role === "source" ? "source" : "deploy");
    }
  });
});

describe("special notations", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: GOOD }),
      image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
    ]),
  );

  const run = (policy: ResourceValidationPolicy, r: TestResource) =>
    runPolicy(policy, { providerProps: region, config: TRUSTED, ...r });

  describe("aws.ssm.Parameter publishing an image id", () => {
    const param = (props: Record<string, unknown>) => ({ type: "aws:ssm/parameter:Parameter", props });

    it("judges a value of data type aws:ec2:image as a deploy", async () => {
      const bad = await run(
        untrusted,
        param({ type: "String", dataType: "aws:ec2:image", value: COMMUNITY }),
      );
      assert.equal(bad.violations.length, 1);
      assert.match(bad.violations[0], /\(value\)/);
      const good = await run(untrusted, param({ type: "String", dataType: "aws:ec2:image", value: GOOD }));
      assert.deepEqual(good.violations, []);
    });

    it("judges an AMI id published as text, and a value whose data type is unknown", async () => {
      const text = await run(untrusted, param({ type: "String", dataType: "text", value: COMMUNITY }));
      assert.equal(text.violations.length, 1);
      const unknownType = await run(
        untrusted,
        param({ type: "String", dataType: UNKNOWN, value: COMMUNITY }),
      );
      assert.equal(unknownType.violations.length, 1);
    });

    it("leaves other parameters alone", async () => {
      const r = await run(missing, param({ type: "String", value: "hello" }));
      assert.deepEqual(r.violations, []);
      const secret = await run(missing, param({ type: "SecureString", dataType: "text", value: "x" }));
      assert.deepEqual(secret.violations, []);
    });
  });

  describe("Elastic Beanstalk ImageId settings", () => {
    it("judges only aws:autoscaling:launchconfiguration / ImageId, namespace case-insensitively", async () => {
      const settings = (namespace: string, name: string, value: string) => ({
        type: "aws:elasticbeanstalk/environment:Environment",
        props: {
          settings: [
            { namespace: "aws:ec2:vpc", name: "VPCId", value: "vpc-1" },
            { namespace, name, value },
          ],
        },
      });
      const bad = await run(untrusted, settings("aws:autoscaling:LaunchConfiguration", "ImageId", COMMUNITY));
      assert.equal(bad.violations.length, 1);
      assert.match(bad.violations[0], /settings\[1\]\.value/);
      const other = await run(
        untrusted,
        settings("aws:elasticbeanstalk:application:environment", "AMI", COMMUNITY),
      );
      assert.deepEqual(other.violations, []);
    });

    it("judges a setting whose namespace is unknown at preview (fail closed)", async () => {
      const r = await run(untrusted, {
        type: "aws-native:elasticbeanstalk:Environment",
        props: { optionSettings: [{ namespace: UNKNOWN, optionName: "ImageId", value: COMMUNITY }] },
      });
      assert.equal(r.violations.length, 1);
    });
  });

  describe("AWS-managed images named by type or alias", () => {
    it("judges EKS AMI types and Cloud9 aliases as amazon's images", async () => {
      const eks = (amiType: string) => ({ type: "aws:eks/nodeGroup:NodeGroup", props: { amiType } });
      assert.deepEqual((await run(untrusted, eks("AL2023_x86_64_STANDARD"))).violations, []);
      const strict = await run(untrusted, {
        ...eks("AL2023_x86_64_STANDARD"),
        config: { trustedOwners: ["111111111111"] },
      });
      assert.equal(strict.violations.length, 1);
      assert.match(strict.violations[0], /amiType "AL2023_x86_64_STANDARD"/);
      const later = await run(untrusted, { ...eks(UNKNOWN), config: { trustedOwners: ["111111111111"] } });
      assert.deepEqual(later.violations, [], "an AMI type unknown at preview is judged at update");
      const custom = await run(untrusted, { ...eks("CUSTOM"), config: { trustedOwners: ["111111111111"] } });
      assert.deepEqual(custom.violations, []);
      const cloud9 = await run(untrusted, {
        type: "aws:cloud9/environmentEC2:EnvironmentEC2",
        props: { imageId: "amazonlinux-2023-x86_64" },
        config: { trustedOwners: ["111111111111"] },
      });
      assert.equal(cloud9.violations.length, 1);
      const cloud9Missing = await run(missing, {
        type: "aws:cloud9/environmentEC2:EnvironmentEC2",
        props: { imageId: "ubuntu-22.04-x86_64" },
      });
      assert.deepEqual(cloud9Missing.violations, [], "an alias is not an unverifiable reference");
    });
  });

  describe("types the table does not list", () => {
    const thing = (props: Record<string, unknown>) => ({ type: "acme:compute/box:Box", props });

    it("scans every input for AMI ids and judges them as deploys by the facts policies", async () => {
      const all = await runAll(thing({ spec: { machines: [{ image: COMMUNITY }] }, tags: { Source: GOOD } }));
      assert.equal(all[RULES.untrusted].violations.length, 1);
      assert.match(all[RULES.untrusted].violations[0], /spec\.machines\[0\]\.image/);
      const stale = await runAll(thing({ bootImage: "ami-0000000000000dead" }));
      assert.equal(stale[RULES.missing].violations.length, 1);
    });

    it("passes a sound image, skips tags and the tags policy, and is not applicable without AMI references", async () => {
      const ok = await runAll(thing({ image: GOOD }));
      for (const [name, r] of Object.entries(ok)) assert.deepEqual(r.violations, [], name);
      const tagOnly = await runPolicy(untrusted, {
        ...thing({ tags: { Source: COMMUNITY } }),
        config: TRUSTED,
      });
      assert.equal(tagOnly.notApplicable.length, 1);
      const tagsRun = await runPolicy(tagsPolicy, thing({ image: COMMUNITY }));
      assert.equal(tagsRun.notApplicable.length, 1);
      const none = await runPolicy(untrusted, thing({ size: 3 }));
      assert.equal(none.notApplicable.length, 1);
    });

    it("counts ignoreChanges over a scanned AMI path as mutable", async () => {
      const r = await runPolicy(mutable, { ...thing({ spec: { image: GOOD } }), ignoreChanges: ["spec"] });
      assert.equal(r.violations.length, 1);
      const other = await runPolicy(mutable, {
        ...thing({ spec: { image: GOOD } }),
        ignoreChanges: ["size"],
      });
      assert.deepEqual(other.violations, []);
    });

    it("never scans Pulumi's own resources (providers, stacks)", async () => {
      const r = await runPolicy(untrusted, { type: "pulumi:providers:aws", props: { note: COMMUNITY } });
      assert.equal(r.notApplicable.length, 1);
    });
  });

  describe("ignoreChanges paths", () => {
    it("parses Pulumi's property path forms", () => {
      assert.deepEqual(parsePropertyPath('["ami"]'), ["ami"]);
      assert.deepEqual(parsePropertyPath("launchSpecifications[0].ami"), [
        "launchSpecifications",
        "[]",
        "ami",
      ]);
      assert.deepEqual(parsePropertyPath('tags["Name"]'), ["tags", "Name"]);
      assert.deepEqual(parsePropertyPath("settings[*]"), ["settings", "*"]);
      assert.equal(parsePropertyPath("a[b"), undefined);
      assert.ok(ignoreCovers('["ami"]', "ami"));
      assert.ok(ignoreCovers("computeResources", "computeResources.ec2Configurations[].imageIdOverride"));
      assert.ok(
        ignoreCovers(
          "computeResources.ec2Configurations[1]",
          "computeResources.ec2Configurations[].imageIdOverride",
        ),
      );
      assert.ok(!ignoreCovers("computeResources.maxVcpus", "computeResources.imageId"));
      assert.ok(!ignoreCovers('["tags"]', "ami"));
    });

    const cases: [string, Record<string, unknown>, string[], boolean][] = [
      ["aws:ec2/instance:Instance", { ami: GOOD }, ['["ami"]'], true],
      ["aws:ec2/instance:Instance", { ami: GOOD }, ["launchTemplate"], true],
      ["aws:ec2/instance:Instance", { ami: GOOD }, ["launchTemplate.version"], true],
      ["aws:ec2/instance:Instance", { ami: GOOD }, ['["tags"]', "userData"], false],
      ["aws:autoscaling/group:Group", {}, ["launchTemplate"], true],
      ["aws:autoscaling/group:Group", {}, ["mixedInstancesPolicy.launchTemplate.overrides"], true],
      ["aws:batch/computeEnvironment:ComputeEnvironment", {}, ["computeResources.imageId"], true],
      ["aws:batch/computeEnvironment:ComputeEnvironment", {}, ["computeResources.maxVcpus"], false],
      ["aws:eks/nodeGroup:NodeGroup", {}, ["releaseVersion"], true],
      ["aws:eks/nodeGroup:NodeGroup", {}, ["amiType"], true],
      ["aws:eks/nodeGroup:NodeGroup", {}, ["scalingConfig.desiredSize"], false],
      ["aws:elasticbeanstalk/environment:Environment", {}, ["settings"], true],
      ["aws-native:ec2:LaunchTemplate", {}, ["launchTemplateData"], true],
      ["aws-native:ec2:LaunchTemplate", {}, ['launchTemplateData["imageId"]'], true],
      ["aws:ssm/parameter:Parameter", {}, ["value"], true],
    ];
    for (const [type, props, ignoreChanges, blocked] of cases) {
      it(`${blocked ? "blocks" : "allows"} ${type.split(":").pop()} ignoring ${ignoreChanges.join(", ")}`, async () => {
        const r = await runPolicy(mutable, { type, props, ignoreChanges });
        assert.equal(r.violations.length, blocked ? 1 : 0, r.violations.join(" | "));
      });
    }
  });

  it("lists every table type in a policy's types (no listed type is not applicable everywhere)", async () => {
    for (const type of Object.keys(AMI_TABLE)) {
      let applicable = 0;
      for (const p of resourcePolicies) {
        const r = await runPolicy(p, { type, props: {} });
        if (r.notApplicable.length === 0) applicable++;
      }
      assert.ok(applicable > 0, `${type} is judged by some policy`);
    }
  });
});
