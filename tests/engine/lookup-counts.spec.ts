/**
 * The pack's look-up budget, through the engine protocol against a loopback EC2, SSM and STS endpoint (issue 12,
 * target 4): however many resources and policies ask, each distinct AMI is described at most once per process,
 * its launch permissions asked at most once (exactly once for an image the caller's account owns), each SSM
 * parameter read once and the caller's account asked once; a second pass over the same resources asks nothing.
 * The launch permissions of a new image are asked while its DescribeImages is still in flight (one round trip
 * per first sighting, not two), and a per-resource memo never carries one Analyze's inputs into the next.
 */
import { strict as assert } from "node:assert";
import type { PolicyPackProcess } from "../../src/analyzer/client";
import type { AnalyzeResult, AnalyzerInfo, PolicyConfig } from "../../src/analyzer/types";
import {
  ec2Error,
  ec2Response,
  imageToWire,
  jsonResponse,
  launchPermissionsToWire,
  listParam,
  queryResponse,
  startEc2Server,
  type Ec2Server,
  loopbackSdkEnv,
} from "../../testing/ec2-server";
import { awsProvider, image, resource, startPack } from "../helpers/engine";

const CALLER = "111111111111";
const OWN_A = "ami-0a0000000000000a1";
const OWN_B = "ami-0a0000000000000b2";
const OWN_C = "ami-0a0000000000000c3"; // named through the SSM parameter /golden/web
const OWN_D = "ami-0a0000000000000d4"; // first seen by the round-trip test
const AMAZON = "ami-0a00000000000a3a3";
const FOREIGN = "ami-0a00000000000f0f0";
const STALE = "ami-0a00000000000e1d1";
const PARAMETER = "/golden/web";

const IMAGES = new Map(
  [
    image({ id: OWN_A, owner: CALLER }),
    image({ id: OWN_B, owner: CALLER }),
    image({ id: OWN_C, owner: CALLER }),
    image({ id: OWN_D, owner: CALLER }),
    image({ id: STALE, owner: CALLER, ageDays: 400 }),
    image({ id: AMAZON, owner: "137112412989", alias: "amazon" }),
    image({ id: FOREIGN, owner: "444444444444" }),
  ].map((i) => [String(i.ImageId), i]),
);

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function flaggedBy(r: AnalyzeResult): string[] {
  return r.diagnostics.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.policyName);
}

describe("look-up budget through the engine protocol (loopback EC2, SSM and STS)", function () {
  this.timeout(120_000);
  let server: Ec2Server;
  let pack: PolicyPackProcess;
  const describedIds = new Map<string, number>();
  const attributeIds = new Map<string, number>();
  const parameterNames = new Map<string, number>();
  /** Image ids whose DescribeImages has been answered. */
  const described = new Set<string>();
  /** Image ids whose DescribeImageAttribute arrived before their DescribeImages was answered. */
  const overlapped = new Set<string>();
  /** Wakes a DescribeImages held for OWN_D when its DescribeImageAttribute arrives. */
  let attributeSeen: (() => void) | undefined;

  before(async () => {
    server = await startEc2Server({
      handlers: {
        DescribeImages: async (r) => {
          const ids = listParam(r.params, "ImageId");
          for (const id of ids) count(describedIds, id);
          if (ids.includes(OWN_D) && !attributeIds.has(OWN_D)) {
            // Held until OWN_D's launch permissions are asked, or long enough to show they were not.
            await new Promise<void>((resolve) => {
              attributeSeen = resolve;
              setTimeout(resolve, 5_000);
            });
          }
          for (const id of ids) described.add(id);
          const missing = ids.filter((id) => !IMAGES.has(id));
          if (missing.length > 0) return ec2Error("InvalidAMIID.NotFound", `[${missing.join(", ")}]`);
          return ec2Response("DescribeImages", {
            imagesSet: ids.map((id) => imageToWire(IMAGES.get(id)!)),
          });
        },
        DescribeImageAttribute: (r) => {
          const id = r.params.ImageId;
          count(attributeIds, id);
          if (!described.has(id)) overlapped.add(id);
          if (id === OWN_D) attributeSeen?.();
          const i = IMAGES.get(id);
          if (!i || i.OwnerId !== CALLER) return ec2Error("AuthFailure", `Not authorized for image:${id}`);
          return ec2Response("DescribeImageAttribute", {
            imageId: id,
            launchPermission: launchPermissionsToWire([]),
          });
        },
        GetCallerIdentity: () =>
          queryResponse("GetCallerIdentity", {
            Account: CALLER,
            Arn: `arn:aws:sts::${CALLER}:assumed-role/deployer/test`,
            UserId: "AROATEST:test",
          }),
        GetParameters: (r) => {
          const names = (r.json as { Names: string[] }).Names;
          for (const n of names) count(parameterNames, n);
          return jsonResponse({
            Parameters: names
              .filter((n) => n === PARAMETER)
              .map((n) => ({
                Name: n,
                Type: "String",
                Value: OWN_C,
                Version: 1,
                ARN: `arn:aws:ssm:us-east-1:${CALLER}:parameter${n}`,
                DataType: "aws:ec2:image",
              })),
            InvalidParameters: names.filter((n) => n !== PARAMETER),
          });
        },
      },
    });
    pack = await startPack({
      ...loopbackSdkEnv(server.url, ["EC2", "SSM", "STS"]),
    });
    const info: AnalyzerInfo = await pack.getAnalyzerInfo();
    const config: Record<string, PolicyConfig> = {};
    for (const p of info.policies)
      config[p.name] = {
        enforcementLevel: p.enforcementLevel,
        properties: { trustedOwners: ["amazon", CALLER] },
      };
    // Only the policies that take trustedOwners get it.
    for (const p of info.policies)
      if (!("trustedOwners" in (p.configSchema?.properties ?? {}))) config[p.name].properties = {};
    await pack.configure(config);
    await pack.configureStack({ stack: "test", project: "ami-guard", organization: "o", dryRun: true });
  });

  after(async () => {
    await pack?.close();
    await server?.close();
  });

  const region = awsProvider("us-east-1");
  const instance = (name: string, ami: string) =>
    resource("aws:ec2/instance:Instance", name, { ami, instanceType: "t3.micro" }, {}, region);
  const AMIS = [OWN_A, OWN_B, AMAZON, FOREIGN, STALE, `resolve:ssm:${PARAMETER}`];

  it("asks each AMI, launch permission, parameter and the caller's account at most once for 60 resources, and nothing on a second pass", async () => {
    const verdicts = new Map<string, string[]>();
    for (let i = 0; i < 60; i++) {
      const ami = AMIS[i % AMIS.length];
      verdicts.set(ami, flaggedBy(await pack.analyze(instance(`web-${i}`, ami))));
    }
    // The verdicts are the policies' own: trusted images pass, the stranger's and the stale one do not.
    assert.deepEqual(verdicts.get(OWN_A), []);
    assert.deepEqual(verdicts.get(OWN_B), []);
    assert.deepEqual(verdicts.get(AMAZON), []);
    assert.deepEqual(verdicts.get(`resolve:ssm:${PARAMETER}`), []);
    assert.ok(
      verdicts.get(FOREIGN)!.includes("ec2-ami-disallow-untrusted-owner"),
      String(verdicts.get(FOREIGN)),
    );
    assert.ok(verdicts.get(STALE)!.includes("ec2-ami-disallow-stale-image"), String(verdicts.get(STALE)));

    for (const id of [OWN_A, OWN_B, OWN_C, AMAZON, FOREIGN, STALE])
      assert.equal(describedIds.get(id), 1, `DescribeImages asked ${id} once`);
    assert.equal(
      [...describedIds.values()].reduce((a, b) => a + b, 0),
      6,
      "no other id described",
    );
    assert.ok((server.calls.DescribeImages ?? 0) <= 6);
    for (const id of [OWN_A, OWN_B, OWN_C, STALE])
      assert.equal(attributeIds.get(id), 1, `launch permissions of our ${id} asked once`);
    for (const [id, n] of attributeIds) assert.ok(n <= 1, `launch permissions of ${id} asked ${n} times`);
    assert.equal(parameterNames.get(PARAMETER), 1, "the SSM parameter read once");
    assert.ok((server.calls.GetCallerIdentity ?? 0) <= 1, "the caller's account asked at most once");

    const before = server.calls.total;
    for (let i = 0; i < 12; i++) await pack.analyze(instance(`again-${i}`, AMIS[i % AMIS.length]));
    assert.equal(server.calls.total, before, "a second pass over known AMIs makes no call");
  });

  it("asks a new image's launch permissions while its DescribeImages is still in flight (one round trip)", async () => {
    const r = await pack.analyze(instance("first-sight", OWN_D));
    assert.deepEqual(flaggedBy(r), []);
    assert.equal(describedIds.get(OWN_D), 1);
    assert.equal(attributeIds.get(OWN_D), 1);
    assert.ok(overlapped.has(OWN_D), "DescribeImageAttribute arrived only after DescribeImages answered");
  });

  it("judges each Analyze on its own inputs: the same resource sent again with another AMI gets the other verdict", async () => {
    const good = await pack.analyze(instance("same-urn", OWN_A));
    const stale = await pack.analyze(instance("same-urn", STALE));
    const againGood = await pack.analyze(instance("same-urn", OWN_A));
    assert.deepEqual(flaggedBy(good), []);
    assert.ok(flaggedBy(stale).includes("ec2-ami-disallow-stale-image"));
    assert.deepEqual(flaggedBy(againGood), []);
  });
});
