/**
 * The AWS SDK warm-up (policy-pack/aws/warm-up.ts, started by runtime/policy.ts preloadAwsSdk once the engine has
 * configured the stack): its calls are answered in-process and never reach the network, a look-up after it
 * still asks EC2 (and STS) and judges on their answers, never the canned ones, a warm-up that fails changes
 * nothing, and it does not run when the pack will make no look-ups.
 */
import { strict as assert } from "node:assert";
import { Ec2Source, defaultClientFor, defaultStsClientFor } from "../../policy-pack/aws/lookup";
import { CannedHandler, WARM_IMAGE_ID, warmAwsSdk } from "../../policy-pack/aws/warm-up";
import { RULES } from "../../policy-pack/rules/rules";
import { awsLookUpsExpected, preloadAwsSdk, warmUpRegion } from "../../policy-pack/runtime/policy";
import type { EngineConfig } from "../../policy-pack/runtime/engine-hooks";
import {
  ec2Error,
  ec2Response,
  imageToWire,
  listParam,
  queryResponse,
  startEc2Server,
  type Ec2Server,
  useLoopbackEnvironment,
} from "../../testing/ec2-server";
import { image } from "../helpers/policy";
import { connectionsDuring } from "../helpers/connections";

const CALLER = "111111111111";
const OTHER = "ami-0123456789abcdef0";

function config(levels: Record<string, string>): Map<string, EngineConfig> {
  return new Map(
    Object.values(RULES).map((r) => [r, { enforcementLevel: levels[r] ?? "mandatory", properties: {} }]),
  );
}

const ALL_DISABLED: Record<string, string> = Object.fromEntries(
  Object.values(RULES).map((r) => [r, "disabled"]),
);

describe("AWS SDK warm-up", function () {
  this.timeout(30_000);
  useLoopbackEnvironment({
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/ami-guard-test-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/ami-guard-test-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AMI_GUARD_EC2_TIMEOUT_MS: "5000",
  });
  let server: Ec2Server;
  before(async () => {
    server = await startEc2Server({
      handlers: {
        DescribeImages: (r) => {
          const ids = listParam(r.params, "ImageId");
          // EC2 does not know the warm-up's image; the canned answer says it exists.
          if (ids.includes(WARM_IMAGE_ID)) return ec2Error("InvalidAMIID.NotFound", `[${WARM_IMAGE_ID}]`);
          return ec2Response("DescribeImages", {
            imagesSet: ids.map((id) => imageToWire(image({ ImageId: id, OwnerId: CALLER }))),
          });
        },
        DescribeImageAttribute: (r) =>
          ec2Error("AuthFailure", `Not authorized for image:${r.params.ImageId}`),
        GetCallerIdentity: () =>
          queryResponse("GetCallerIdentity", {
            Account: CALLER,
            Arn: `arn:aws:sts::${CALLER}:assumed-role/deployer/test`,
            UserId: "AROATEST:test",
          }),
      },
    });
    process.env.AWS_ENDPOINT_URL = server.url;
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    process.env.AWS_ENDPOINT_URL_STS = server.url;
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => {
    // No credentials in the environment: the warm-up signs with its own dummy ones, never the caller's.
    for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"])
      delete process.env[k];
  });

  it("answers every call in-process: no connection is opened and the loopback endpoint set for EC2 and STS sees none", async () => {
    const before = server.calls.total;
    const { value: answered, connections } = await connectionsDuring(() =>
      warmAwsSdk("us-east-1", { sts: true, rounds: 2 }),
    );
    assert.deepEqual(answered, { DescribeImages: 2, DescribeImageAttribute: 2, GetCallerIdentity: 2 });
    assert.equal(connections, 0, "the warm-up opened a connection");
    assert.equal(server.calls.total, before, "the warm-up reached the endpoint");
  });

  it("leaves the look-ups to EC2 and STS: after it, the same image is asked of EC2 and EC2's answers decide", async () => {
    await warmAwsSdk("us-east-1", { sts: true, rounds: 1 });
    process.env.AWS_ACCESS_KEY_ID = "AKIDTEST";
    process.env.AWS_SECRET_ACCESS_KEY = "secret";
    const calls = { ...server.calls };
    const src = new Ec2Source({ clientFor: defaultClientFor, stsClientFor: defaultStsClientFor });
    // The canned answer describes WARM_IMAGE_ID; EC2 does not know it.
    const warm = await src.lookup(WARM_IMAGE_ID, "us-east-1");
    assert.equal(warm.kind, "not-found", JSON.stringify(warm));
    const other = await src.lookup(OTHER, "us-east-1");
    assert.equal(other.kind, "found");
    assert.equal(other.kind === "found" && other.facts.ownerId, CALLER);
    // EC2 refuses its launch permissions, and STS names the image's owner as the caller: fail closed. The canned
    // answers would have listed the permissions, or named another account (not ours, so no finding).
    const perms = await src.launchPermissions(
      other.kind === "found" ? other.facts : assert.fail(),
      "us-east-1",
    );
    assert.equal(perms.kind, "error");
    assert.match(perms.kind === "error" ? perms.cause : "", /AuthFailure.*caller's own account 111111111111/);
    assert.equal((server.calls.DescribeImages ?? 0) - (calls.DescribeImages ?? 0), 2);
    assert.equal((server.calls.DescribeImageAttribute ?? 0) - (calls.DescribeImageAttribute ?? 0), 1);
    assert.equal((server.calls.GetCallerIdentity ?? 0) - (calls.GetCallerIdentity ?? 0), 1);
  });

  it("changes nothing when it fails: it resolves, and the look-ups answer as without it", async () => {
    class Broken extends CannedHandler {
      override handle(): Promise<{ response: unknown }> {
        throw new Error("broken transport");
      }
    }
    assert.deepEqual(await warmAwsSdk("us-east-1", { sts: true, handler: new Broken() }), {});
    assert.deepEqual(await warmAwsSdk("not a region", { sts: true }), {});
    process.env.AWS_ACCESS_KEY_ID = "AKIDTEST";
    process.env.AWS_SECRET_ACCESS_KEY = "secret";
    const before = server.calls.DescribeImages ?? 0;
    const src = new Ec2Source({ clientFor: defaultClientFor });
    assert.equal((await src.lookup(WARM_IMAGE_ID, "us-east-1")).kind, "not-found");
    assert.equal(server.calls.DescribeImages, before + 1);
  });

  it("stops before its next round once the pack has real work", async () => {
    let rounds = 0;
    const answered = await warmAwsSdk("us-east-1", { sts: true, rounds: 5, stop: () => rounds++ >= 1 });
    assert.deepEqual(answered, { DescribeImages: 1, DescribeImageAttribute: 1 });
    assert.deepEqual(await warmAwsSdk("us-east-1", { sts: true, stop: () => true }), {});
    // Nor does it start once the engine has sent a resource to judge.
    assert.equal(
      preloadAwsSdk({}, config({}), () => true),
      undefined,
    );
  });

  describe("runs only when the pack may look AMIs up", () => {
    it("not with an inventory, nor when every policy that looks AMIs up is disabled", () => {
      assert.equal(awsLookUpsExpected(undefined, { AMI_GUARD_INVENTORY: "/tmp/inventory.json" }), false);
      assert.equal(awsLookUpsExpected(config(ALL_DISABLED), {}), false);
      // The ignore-changes policy judges inputs only.
      assert.equal(awsLookUpsExpected(config({ ...ALL_DISABLED, [RULES.mutable]: "mandatory" }), {}), false);
      const notYet = () => false;
      assert.equal(preloadAwsSdk({}, config(ALL_DISABLED), notYet), undefined);
      assert.equal(
        preloadAwsSdk({ AMI_GUARD_INVENTORY: "/tmp/inventory.json" }, undefined, notYet),
        undefined,
      );
    });

    it("when any policy that looks AMIs up is enabled, or the engine sent no configuration", async () => {
      assert.equal(awsLookUpsExpected(undefined, {}), true);
      for (const rule of Object.values(RULES).filter((r) => r !== RULES.mutable)) {
        assert.equal(awsLookUpsExpected(config({ ...ALL_DISABLED, [rule]: "advisory" }), {}), true, rule);
      }
      // A policy the configuration does not name runs at its own level.
      const partial = config(ALL_DISABLED);
      partial.delete(RULES.stale);
      assert.equal(awsLookUpsExpected(partial, {}), true);
      const notYet = () => false;
      const warm = preloadAwsSdk({ AWS_REGION: "eu-west-1" }, config({}), notYet);
      assert.ok(warm, "the warm-up ran");
      assert.deepEqual(Object.keys(await warm).sort(), [
        "DescribeImageAttribute",
        "DescribeImages",
        "GetCallerIdentity",
      ]);
    });

    it("warms the clients of the process's region, else us-east-1", () => {
      assert.equal(warmUpRegion({ AWS_REGION: "eu-west-1" }), "eu-west-1");
      assert.equal(warmUpRegion({ AWS_DEFAULT_REGION: "ap-southeast-2" }), "ap-southeast-2");
      assert.equal(warmUpRegion({ AWS_REGION: "not a region" }), "us-east-1");
      assert.equal(warmUpRegion({}), "us-east-1");
    });
  });
});
