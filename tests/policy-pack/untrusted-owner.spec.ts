import { strict as assert } from "node:assert";
import { ec2AmiDisallowUntrustedOwner as policy } from "../../policy-pack/policies/ec2-ami-disallow-untrusted-owner";
import { TRUST_FIXTURE, UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";

const region = { region: "us-east-1" };
const instance = (ami: unknown) => ({
  type: "aws:ec2/instance:Instance",
  props: { ami, instanceType: "t3.micro" },
  providerProps: region,
});

describe("ec2-ami-disallow-untrusted-owner", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001" }),
      image({ ImageId: "ami-00000000000000002", OwnerId: "999999999999", Public: true }),
      image({
        ImageId: "ami-00000000000000003",
        OwnerId: "137112412989",
        ImageOwnerAlias: "amazon",
        Public: true,
      }),
      image({
        ImageId: "ami-00000000000000004",
        OwnerId: "679593333241",
        ImageOwnerAlias: "aws-marketplace",
        Public: true,
      }),
    ]),
  );

  it("passes an AMI owned by a trusted account", async () => {
    const r = await runPolicy(policy, { ...instance("ami-00000000000000001"), config: TRUST_FIXTURE });
    assert.deepEqual(r.violations, []);
  });

  it("passes Amazon's own images by alias with the default settings", async () => {
    const r = await runPolicy(policy, instance("ami-00000000000000003"));
    assert.deepEqual(r.violations, []);
  });

  it("blocks a community image, naming the resource, the AMI, the owner and the fix", async () => {
    const r = await runPolicy(policy, { ...instance("ami-00000000000000002"), name: "web" });
    assert.equal(r.violations.length, 1);
    const [m] = r.violations;
    assert.match(m, /^aws\.ec2\.Instance "web": AMI ami-00000000000000002 is owned by 999999999999/);
    assert.match(m, /public community image/);
    assert.match(m, /Fix: /);
  });

  it("blocks marketplace images unless aws-marketplace is trusted", async () => {
    assert.equal((await runPolicy(policy, instance("ami-00000000000000004"))).violations.length, 1);
    const ok = await runPolicy(policy, {
      ...instance("ami-00000000000000004"),
      config: { trustedOwners: ["aws-marketplace"] },
    });
    assert.deepEqual(ok.violations, []);
  });

  it("blocks an AmiCopy of an untrusted source, looked up in the source region", async () => {
    const r = await runPolicy(policy, {
      type: "aws:ec2/amiCopy:AmiCopy",
      props: { sourceAmiId: "ami-00000000000000002", sourceAmiRegion: "eu-west-1", encrypted: true },
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /sourceAmiId/);
  });

  it("judges every launch specification of a spot fleet", async () => {
    const r = await runPolicy(policy, {
      type: "aws:ec2/spotFleetRequest:SpotFleetRequest",
      props: {
        launchSpecifications: [
          { ami: "ami-00000000000000003", instanceType: "t3.micro" },
          { ami: "ami-00000000000000002", instanceType: "t3.micro" },
        ],
      },
      providerProps: region,
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /launchSpecifications\[1\]\.ami/);
  });

  it("judges Image Builder parent image ARNs by their owner without a look-up", async () => {
    const recipe = (parentImage: string, config?: Record<string, unknown>) =>
      runPolicy(policy, {
        type: "aws:imagebuilder/imageRecipe:ImageRecipe",
        props: { parentImage, version: "1.0.0" },
        config,
      });
    assert.deepEqual(
      (await recipe("arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x")).violations,
      [],
    );
    const foreign = await recipe("arn:aws:imagebuilder:us-east-1:999999999999:image/their-image/1.0.0");
    assert.equal(foreign.violations.length, 1);
    assert.match(foreign.violations[0], /999999999999/);
    const notAws = await recipe("arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x", {
      trustedOwners: ["111111111111"],
    });
    assert.equal(notAws.violations.length, 1);
  });

  it("blocks Allowed AMIs settings that are disabled or trust other providers", async () => {
    const settings = (state: string, providers: unknown) =>
      runPolicy(policy, {
        type: "aws:ec2/allowedImagesSettings:AllowedImagesSettings",
        props: { state, imageCriterions: [{ imageProviders: providers }] },
        config: TRUST_FIXTURE,
      });
    assert.deepEqual((await settings("enabled", ["amazon", "111111111111"])).violations, []);
    assert.equal((await settings("disabled", ["amazon"])).violations.length, 1);
    const wide = await settings("audit-mode", ["amazon", "aws-marketplace"]);
    assert.equal(wide.violations.length, 1);
    assert.match(wide.violations[0], /aws-marketplace/);
    assert.deepEqual((await settings("enabled", UNKNOWN)).violations, []);
  });

  it("leaves an AMI id unknown at preview to the existence policy, without throwing", async () => {
    const r = await runPolicy(policy, instance(UNKNOWN));
    assert.deepEqual(r, { violations: [], advisories: [], notApplicable: [] });
  });

  it("is not applicable to unrelated types", async () => {
    const r = await runPolicy(policy, { type: "aws:s3/bucket:Bucket", props: {} });
    assert.equal(r.notApplicable.length, 1);
  });

  it("rejects invalid configuration naming the property, as a violation not an exception", async () => {
    const r = await runPolicy(policy, {
      ...instance("ami-00000000000000001"),
      config: { trustedOwners: ["someone"] },
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /invalid policy configuration: .*trustedOwners\[0\]/);
  });
});
