/**
 * The sharing policy against a loopback EC2 and STS endpoint, through the SDK as the pack runs it: every way
 * DescribeImageAttribute can fail for an image we own fails closed naming the cause; only AuthFailure for an
 * image another account owns means "not ours". And a hung endpoint costs one bounded wait per region and process,
 * not one per resource.
 */
import { strict as assert } from "node:assert";
import { Ec2Source } from "../../policy-pack/aws/lookup";
import { setAmiSource, setClock } from "../../policy-pack/runtime/policy";
import { ec2AmiDisallowPublicSharing as sharing } from "../../policy-pack/policies/ec2-ami-disallow-public-sharing";
import { ec2AmiDisallowStaleImage as stale } from "../../policy-pack/policies/ec2-ami-disallow-stale-image";
import {
  HANG,
  ec2Error,
  ec2Response,
  imageToWire,
  launchPermissionsToWire,
  listParam,
  queryResponse,
  startEc2Server,
  type Ec2Handler,
  type Ec2Server,
  useLoopbackEnvironment,
} from "../../testing/ec2-server";
import { NOW, image, runPolicy } from "../helpers/policy";

const OURS = "111111111111";
const OTHER = "444444444444";
const OWN = "ami-00000000000000001";
const FOREIGN = "ami-00000000000000002";
const config = { trustedOwners: ["amazon", OURS], allowedAccounts: ["222222222222"] };

describe("sharing look-ups against a loopback EC2 endpoint: fail closed", function () {
  this.timeout(60_000);
  useLoopbackEnvironment({
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_MAX_ATTEMPTS: "2",
    AMI_GUARD_EC2_TIMEOUT_MS: "1000",
  });
  let server: Ec2Server | undefined;
  after(() => setAmiSource(undefined));
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(handlers: { DescribeImageAttribute?: Ec2Handler; DescribeImages?: Ec2Handler }) {
    server = await startEc2Server({
      handlers: {
        DescribeImages: (r) =>
          ec2Response("DescribeImages", {
            imagesSet: listParam(r.params, "ImageId").map((ImageId) =>
              imageToWire(image({ ImageId, OwnerId: ImageId === FOREIGN ? OTHER : OURS })),
            ),
          }),
        GetCallerIdentity: () =>
          queryResponse("GetCallerIdentity", {
            Account: OURS,
            Arn: `arn:aws:sts::${OURS}:assumed-role/deployer/preview`,
            UserId: "AROAEXAMPLE:preview",
          }),
        ...handlers,
      },
    });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    process.env.AWS_ENDPOINT_URL_STS = server.url;
    setAmiSource(new Ec2Source());
    setClock(() => NOW);
  }

  const permissions =
    (perms: Record<string, unknown>[]): Ec2Handler =>
    (r) =>
      ec2Response("DescribeImageAttribute", {
        imageId: r.params.ImageId,
        launchPermission: launchPermissionsToWire(perms),
      });
  const launch = (ami: string, policy = sharing) =>
    runPolicy(policy, {
      type: "aws:ec2/instance:Instance",
      props: { ami },
      providerProps: { region: "us-east-1" },
      config,
    });

  it("allows our private image (an empty launchPermission list) and one shared inside the allow-list", async () => {
    await serve({ DescribeImageAttribute: permissions([]) });
    assert.deepEqual((await launch(OWN)).violations, []);
    await serve({ DescribeImageAttribute: permissions([{ UserId: "222222222222" }]) });
    assert.deepEqual((await launch(OWN)).violations, []);
  });

  it("blocks our image shared with a stranger, read from EC2", async () => {
    await serve({ DescribeImageAttribute: permissions([{ UserId: "999999999999" }]) });
    const r = await launch(OWN);
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /outside the allow-list: account 999999999999/);
  });

  it("allows a stranger's image that answers AuthFailure, asking STS for the caller's account once", async () => {
    await serve({
      DescribeImageAttribute: (r) =>
        ec2Error("AuthFailure", `Not authorized for image:${r.params.ImageId}`, 401),
    });
    assert.deepEqual((await launch(FOREIGN)).violations, []);
    assert.deepEqual((await launch(FOREIGN)).violations, []);
    assert.equal(server!.calls.GetCallerIdentity, 1);
  });

  it("fails closed on AuthFailure for an image the caller's own account owns", async () => {
    await serve({ DescribeImageAttribute: () => ec2Error("AuthFailure", "Not authorized", 401) });
    const r = await launch(OWN);
    assert.equal(r.violations.length, 1);
    assert.match(
      r.violations[0],
      /cannot verify who AMI ami-00000000000000001 .*in us-east-1 is shared with: AuthFailure .*caller's own account 111111111111/,
    );
  });

  for (const [what, answer, cause] of [
    [
      "UnauthorizedOperation",
      () => ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", 403),
      /UnauthorizedOperation \(HTTP 403\)/,
    ],
    [
      "a 5xx past the retries",
      () => ec2Error("InternalError", "An internal error has occurred", 500),
      /InternalError/,
    ],
    [
      "throttling past the retries",
      () => ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503),
      /RequestLimitExceeded/,
    ],
    ["a malformed answer", () => ({ status: 200, body: "<html>this is not EC2</html" }), /./],
    [
      "an empty answer",
      (r: { params: Record<string, string> }) =>
        ec2Response("DescribeImageAttribute", { imageId: r.params.ImageId }),
      /without a launchPermission list/,
    ],
    ["a timeout", () => HANG, /Timeout|timed out|AMI_GUARD_LOOKUP_BUDGET_MS/i],
  ] as [string, Ec2Handler, RegExp][]) {
    it(`fails closed on ${what} for our own image shared with a stranger, naming the cause`, async () => {
      await serve({ DescribeImageAttribute: answer });
      const r = await launch(OWN);
      assert.equal(r.violations.length, 1, JSON.stringify(r.violations));
      assert.match(
        r.violations[0],
        /cannot verify who AMI ami-00000000000000001 \(owned by 111111111111\) in us-east-1 is shared with: .*Failing closed/,
      );
      assert.match(r.violations[0], cause);
    });
  }

  it("bounds the wait on a hung endpoint: once EC2 has timed out in a region, later look-ups there fail at once", async () => {
    process.env.AMI_GUARD_EC2_TIMEOUT_MS = "200";
    process.env.AWS_MAX_ATTEMPTS = "20";
    process.env.AMI_GUARD_LOOKUP_BUDGET_MS = "1500";
    try {
      await serve({ DescribeImages: () => HANG });
      const first = await launch(OWN, stale);
      assert.equal(first.violations.length, 1);
      assert.match(
        first.violations[0],
        /cannot verify the age and state of AMI ami-00000000000000001 .* in us-east-1: /,
      );
      // An attempt the SDK wrote just before the budget aborted it can reach the server (in this process) after
      // the verdict: let the event loop take it before counting, so the count below is of later look-ups only.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const asked = server!.calls.DescribeImages;
      assert.ok(asked >= 1);
      for (let i = 3; i <= 9; i++) {
        const r = await launch(`ami-0000000000000000${i}`, stale);
        assert.equal(r.violations.length, 1);
        assert.match(r.violations[0], /EC2 in us-east-1 did not answer an earlier call .*not asked again/);
      }
      assert.equal(server!.calls.DescribeImages, asked, "no new call to the hung endpoint");
    } finally {
      process.env.AMI_GUARD_EC2_TIMEOUT_MS = "1000";
      process.env.AWS_MAX_ATTEMPTS = "2";
      delete process.env.AMI_GUARD_LOOKUP_BUDGET_MS;
    }
  });
});
