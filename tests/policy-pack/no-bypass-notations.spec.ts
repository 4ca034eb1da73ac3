/**
 * The §5 notations through the runtime-like harness: the private proxy key in program inputs, an unknown
 * region with a known AMI, Allowed AMIs criteria without providers, Image Builder deliveries to other
 * accounts (launch templates, SSM parameters, fast launch, S3 export), snapshot volume permissions, and the
 * aws-native distribution's launch permissions. Plus the wire downgrade of resource references and outputs.
 */
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import { RULES } from "../../policy-pack/rules/rules";
import { UNKNOWN_SENTINELS, plain } from "../../policy-pack/rules/values";
import { OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY, downgrade } from "../../policy-pack/runtime/wire";
import { UNKNOWN, image, runPolicy, useImages, type TestResource } from "../helpers/policy";

const GOOD = "ami-00000000000000001";
const COMMUNITY = "ami-00000000000000002";
const TRUSTED = { trustedOwners: ["amazon", "111111111111"] };
const ALLOWED = "222222222222";
const STRANGER = "555555555555";

const byName = (name: string) => policies.find((p) => p.name === name) as ResourceValidationPolicy;
const untrusted = byName(RULES.untrusted);
const shared = byName(RULES.shared);
const encryption = byName(RULES.unencrypted);
const tagsPolicy = byName(RULES.untagged);
const missing = byName(RULES.missing);

const run = (policy: ResourceValidationPolicy, r: TestResource) =>
  runPolicy(policy, { providerProps: { region: "us-east-1" }, config: TRUSTED, ...r });

describe("notations that must not be a way around the pack", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: GOOD }),
      image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
    ]),
  );

  describe("the runtime's private proxy key", () => {
    it("is honoured only on the runtime's own proxies: a nested input carrying it is data", async () => {
      const r = await run(untrusted, {
        type: "aws:batch/computeEnvironment:ComputeEnvironment",
        props: { computeResources: { imageId: COMMUNITY, __getSpecialProxyTarget: { imageId: GOOD } } },
      });
      assert.equal(r.violations.length, 1, "the community image is judged, not the decoy");
      assert.match(r.violations[0], new RegExp(COMMUNITY));
    });

    it("plain() unwraps a real proxy and keeps a look-alike object as it is", () => {
      const decoy = { ami: COMMUNITY, __getSpecialProxyTarget: { ami: GOOD } };
      assert.deepEqual(plain(decoy), decoy);
      const target = { ami: GOOD };
      const proxy = new Proxy(target, {
        get: (o, k) => (k === "__getSpecialProxyTarget" ? o : (o as Record<string | symbol, unknown>)[k]),
      });
      assert.deepEqual(plain({ nested: proxy }), { nested: { ami: GOOD } });
    });

    it("knows every sentinel the runtime uses for unknowns", () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const proxy = require("@pulumi/policy/proxy") as Record<string, unknown>;
      const names = Object.keys(proxy).filter((k) => /^unknown[A-Z].*Value$/.test(k));
      assert.equal(names.length, 7);
      for (const n of names) assert.ok(UNKNOWN_SENTINELS.has(proxy[n] as string), n);
    });
  });

  describe("an unknown region with a known AMI", () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of ["PULUMI_CONFIG", "AWS_REGION", "AWS_DEFAULT_REGION"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });

    it("is judged in the stack's region (aws:region) rather than deferred", async () => {
      process.env.PULUMI_CONFIG = JSON.stringify({ "aws:region": "eu-west-1" });
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      const r = await runPolicy(untrusted, {
        type: "aws:ec2/instance:Instance",
        props: { ami: COMMUNITY, region: UNKNOWN },
        providerProps: { region: UNKNOWN },
        config: TRUSTED,
      });
      assert.equal(r.violations.length, 1);
      const gone = await runPolicy(missing, {
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-0000000000000dead", region: UNKNOWN },
        config: TRUSTED,
      });
      assert.match(gone.violations[0], /not found in eu-west-1/);
    });

    it("falls back to AWS_REGION, and is deferred only when no region is known at all", async () => {
      delete process.env.PULUMI_CONFIG;
      process.env.AWS_REGION = "ap-southeast-2";
      const r = await runPolicy(missing, {
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-0000000000000dead", region: UNKNOWN },
      });
      assert.match(r.violations[0], /ap-southeast-2/);
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      const later = await runPolicy(missing, {
        type: "aws:ec2/instance:Instance",
        props: { ami: "ami-0000000000000dead", region: UNKNOWN },
      });
      assert.deepEqual(later.violations, []);
      assert.equal(later.advisories.length, 1);
    });
  });

  describe("Allowed AMIs criteria", () => {
    const settings = (imageCriterions: unknown) => ({
      type: "aws:ec2/allowedImagesSettings:AllowedImagesSettings",
      props: { state: "enabled", imageCriterions },
    });

    it("blocks a criterion without imageProviders (it allows every provider)", async () => {
      const names = await run(untrusted, settings([{ imageNames: ["*"] }]));
      assert.equal(names.violations.length, 1);
      assert.match(names.violations[0], /imageCriterions\[0\] sets no imageProviders/);
      const empty = await run(untrusted, settings([{ imageProviders: ["amazon"] }, {}]));
      assert.equal(empty.violations.length, 1);
      assert.match(empty.violations[0], /imageCriterions\[1\]/);
    });

    it("passes criteria limited to trusted providers, and leaves unknown ones to the update", async () => {
      assert.deepEqual(
        (await run(untrusted, settings([{ imageProviders: ["amazon"], imageNames: ["*"] }]))).violations,
        [],
      );
      assert.deepEqual((await run(untrusted, settings([{ imageProviders: UNKNOWN }]))).violations, []);
      assert.deepEqual((await run(untrusted, settings(UNKNOWN))).violations, []);
    });
  });

  describe("Image Builder deliveries to other accounts", () => {
    const dist = (distribution: Record<string, unknown>) => ({
      type: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      props: { distributions: [{ region: "us-east-1", ...distribution }] },
      config: { allowedAccounts: [ALLOWED] },
    });

    it("blocks launch template configurations, SSM parameters and fast launch in accounts outside the allow-list", async () => {
      const lt = await run(
        shared,
        dist({ launchTemplateConfigurations: [{ launchTemplateId: "lt-1", accountId: STRANGER }] }),
      );
      assert.equal(lt.violations.length, 1);
      assert.match(lt.violations[0], /launchTemplateConfigurations\[0\]\.accountId/);
      assert.match(lt.violations[0], new RegExp(`account ${STRANGER}`));
      const ssm = await run(
        shared,
        dist({ ssmParameterConfigurations: [{ parameterName: "/x", amiAccountId: STRANGER }] }),
      );
      assert.equal(ssm.violations.length, 1);
      const fast = await run(
        shared,
        dist({ fastLaunchConfigurations: [{ enabled: true, accountId: STRANGER }] }),
      );
      assert.equal(fast.violations.length, 1);
    });

    it("passes them in the distribution's own or an allow-listed account, and defers unknown ones", async () => {
      for (const d of [
        { launchTemplateConfigurations: [{ launchTemplateId: "lt-1" }] },
        { launchTemplateConfigurations: [{ launchTemplateId: "lt-1", accountId: ALLOWED }] },
        { launchTemplateConfigurations: [{ launchTemplateId: "lt-1", accountId: UNKNOWN }] },
        { ssmParameterConfigurations: [{ parameterName: "/x" }] },
        { launchTemplateConfigurations: UNKNOWN },
      ]) {
        assert.deepEqual((await run(shared, dist(d))).violations, [], JSON.stringify(d));
      }
    });

    it("blocks an S3 export, whose bucket's account cannot be verified (fail closed)", async () => {
      const r = await run(
        shared,
        dist({ s3ExportConfiguration: { s3Bucket: "exports", roleName: "r", diskImageFormat: "RAW" } }),
      );
      assert.equal(r.violations.length, 1);
      assert.match(r.violations[0], /S3 bucket exports/);
      assert.deepEqual((await run(shared, dist({ s3ExportConfiguration: UNKNOWN }))).violations, []);
    });
  });

  describe("aws-native Image Builder distributions", () => {
    const KEY = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555";
    const native = (ami: Record<string, unknown>) => ({
      type: "aws-native:imagebuilder:DistributionConfiguration",
      props: { name: "d", distributions: [{ region: "us-east-1", amiDistributionConfiguration: ami }] },
    });
    const sound = { kmsKeyId: KEY, amiTags: { Version: "1", Environment: "dev", Approved: "false" } };

    it("blocks launchPermissionConfiguration userGroups all, and outside accounts", async () => {
      const pub = await run(
        shared,
        native({ ...sound, launchPermissionConfiguration: { userGroups: ["all"] } }),
      );
      assert.equal(pub.violations.length, 1);
      assert.match(pub.violations[0], /publicly/);
      const later = await run(
        shared,
        native({ ...sound, launchPermissionConfiguration: { userGroups: UNKNOWN } }),
      );
      assert.deepEqual(later.violations, [], "launch permissions unknown at preview are judged at update");
      const out = await run(
        shared,
        native({ ...sound, launchPermissionConfiguration: { userIds: [STRANGER] } }),
      );
      assert.match(out.violations[0], new RegExp(STRANGER));
    });

    it("judges the made image's encryption and tags like the aws provider's", async () => {
      assert.deepEqual((await run(shared, native(sound))).violations, []);
      assert.deepEqual((await run(encryption, native(sound))).violations, []);
      assert.deepEqual((await run(tagsPolicy, native(sound))).violations, []);
      assert.equal((await run(encryption, native({ amiTags: sound.amiTags }))).violations.length, 1);
      assert.equal((await run(tagsPolicy, native({ kmsKeyId: KEY }))).violations.length, 1);
    });
  });

  describe("snapshot create-volume permissions", () => {
    const perm = (accountId: unknown) => ({
      type: "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
      props: { snapshotId: "snap-0123456789abcdef0", accountId },
      config: { allowedAccounts: [ALLOWED] },
    });

    it("blocks an account outside the allow-list, passes an allow-listed one, defers an unknown one", async () => {
      const bad = await run(shared, perm(STRANGER));
      assert.equal(bad.violations.length, 1);
      assert.match(bad.violations[0], /snap-0123456789abcdef0/);
      assert.match(bad.violations[0], new RegExp(STRANGER));
      assert.deepEqual((await run(shared, perm(ALLOWED))).violations, []);
      assert.deepEqual((await run(shared, perm(UNKNOWN))).violations, []);
    });
  });
});

describe("the wire downgrade of resource references and output values", () => {
  it("turns a resource reference into its id, a component's into its URN, an unknown id into unknown", () => {
    const ref = (extra: Record<string, unknown>) => ({
      [SIG_KEY]: RESOURCE_SIG,
      urn: "urn:pulumi:s::p::t::n",
      ...extra,
    });
    assert.equal(downgrade(ref({ id: GOOD })), GOOD);
    assert.equal(downgrade(ref({})), "urn:pulumi:s::p::t::n");
    assert.equal(downgrade(ref({ id: "" })), UNKNOWN);
  });

  it("turns an output value into its value (a secret stays a secret) or unknown", () => {
    const out = (extra: Record<string, unknown>) => ({ [SIG_KEY]: OUTPUT_SIG, dependencies: [], ...extra });
    assert.equal(downgrade(out({ value: GOOD })), GOOD);
    assert.deepEqual(downgrade(out({ value: GOOD, secret: true })), { [SIG_KEY]: SECRET_SIG, value: GOOD });
    assert.equal(downgrade(out({})), UNKNOWN);
    assert.deepEqual(downgrade({ a: [out({ value: { b: ref2() } })] }), { a: [{ b: "i-1" }] });
  });

  it("keeps secrets, assets and plain values; an unrecognised signature reads as unknown", () => {
    const secret = { [SIG_KEY]: SECRET_SIG, value: GOOD };
    assert.deepEqual(downgrade(secret), secret);
    assert.deepEqual(downgrade({ x: 1, y: [true, null] }), { x: 1, y: [true, null] });
    assert.equal(downgrade({ [SIG_KEY]: "nope" }), "dd056dcd-154b-4c76-9bd3-c8f88648b5ff");
  });

  it("hands back a value with nothing to downgrade as it is, and never changes the value it is given", () => {
    const clean = {
      ami: GOOD,
      tags: { Name: "web" },
      list: [1, { x: [true] }],
      secret: { [SIG_KEY]: SECRET_SIG, value: GOOD },
    };
    assert.equal(downgrade(clean), clean);
    const mixed = { keep: { a: 1 }, list: [GOOD, { [SIG_KEY]: OUTPUT_SIG, value: GOOD }, ref2()] };
    const before = JSON.parse(JSON.stringify(mixed)) as unknown;
    const after = downgrade(mixed) as typeof mixed;
    assert.deepEqual(after, { keep: { a: 1 }, list: [GOOD, GOOD, "i-1"] });
    assert.deepEqual(mixed, before, "the input is left as it was");
    assert.equal(after.keep, mixed.keep, "an unchanged branch is shared, not copied");
    const wrapped = { [SIG_KEY]: SECRET_SIG, value: ref2() };
    assert.deepEqual(downgrade(wrapped), { [SIG_KEY]: SECRET_SIG, value: "i-1" });
  });
});

function ref2() {
  return { [SIG_KEY]: RESOURCE_SIG, urn: "urn:pulumi:s::p::aws:ec2/instance:Instance::i", id: "i-1" };
}
