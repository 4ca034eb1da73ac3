/**
 * The AWS SDK warm-up through the engine protocol: the pack started as the engine starts it, with a tracer of
 * its AWS SDK modules and calls preloaded (tests/helpers/sdk-trace.js), against a loopback EC2 and STS. The SDK
 * is not loaded before GetAnalyzerInfo has been answered (start-up never pays for it); once the engine has sent
 * ConfigureStack the pack loads it and warms its first calls in-process, and nothing of that reaches the
 * endpoint; the first Analyze then asks EC2 itself and judges on EC2's answer, not the canned one.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PolicyPackProcess } from "../../src/analyzer/client";
import type { AnalyzeResult, AnalyzerInfo, PolicyConfig } from "../../src/analyzer/types";
import { WARM_IMAGE_ID } from "../../policy-pack/aws/warm-up";
import { RULES } from "../../policy-pack/rules/rules";
import {
  ec2Error,
  ec2Response,
  imageToWire,
  launchPermissionsToWire,
  listParam,
  queryResponse,
  startEc2Server,
  type Ec2Server,
  loopbackSdkEnv,
} from "../../testing/ec2-server";
import { awsProvider, image, resource, startPack } from "../helpers/engine";

const CALLER = "111111111111";
const GOOD = "ami-0a1b2c3d4e5f60718";
const TRACER = path.join(__dirname, "..", "helpers", "sdk-trace.js");

function flaggedBy(r: AnalyzeResult): string[] {
  return r.diagnostics.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.policyName);
}

describe("AWS SDK warm-up through the engine protocol (loopback EC2 and STS)", function () {
  this.timeout(120_000);
  let server: Ec2Server;
  let pack: PolicyPackProcess;
  let info: AnalyzerInfo;
  let dir: string;
  let traceFile: string;
  const described = new Map<string, number>();
  const trace = (): string[] =>
    fs.existsSync(traceFile) ? fs.readFileSync(traceFile, "utf8").split("\n").filter(Boolean) : [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-warm-up-"));
    traceFile = path.join(dir, "sdk-trace.log");
    server = await startEc2Server({
      handlers: {
        DescribeImages: (r) => {
          const ids = listParam(r.params, "ImageId");
          for (const id of ids) described.set(id, (described.get(id) ?? 0) + 1);
          // EC2 does not know the image the warm-up's canned answer describes.
          if (ids.includes(WARM_IMAGE_ID)) return ec2Error("InvalidAMIID.NotFound", `[${WARM_IMAGE_ID}]`);
          return ec2Response("DescribeImages", {
            imagesSet: ids.map((id) => imageToWire(image({ id, owner: CALLER }))),
          });
        },
        DescribeImageAttribute: (r) =>
          ec2Response("DescribeImageAttribute", {
            imageId: r.params.ImageId,
            launchPermission: launchPermissionsToWire([]),
          }),
        GetCallerIdentity: () =>
          queryResponse("GetCallerIdentity", {
            Account: CALLER,
            Arn: `arn:aws:sts::${CALLER}:assumed-role/deployer/test`,
            UserId: "AROATEST:test",
          }),
      },
    });
    pack = await startPack({
      NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${TRACER}`].filter(Boolean).join(" "),
      AMI_GUARD_TEST_SDK_TRACE: traceFile,
      ...loopbackSdkEnv(server.url, ["EC2", "STS"]),
    });
  });

  after(async () => {
    await pack?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loads no AWS SDK client before GetAnalyzerInfo has been answered", async () => {
    info = await pack.getAnalyzerInfo();
    assert.deepEqual(trace(), []);
  });

  it("once the stack is configured, loads the SDK and warms its first calls in-process: the endpoint sees none", async () => {
    const config: Record<string, PolicyConfig> = {};
    for (const p of info.policies)
      config[p.name] = {
        enforcementLevel: p.enforcementLevel,
        properties: "trustedOwners" in (p.configSchema?.properties ?? {}) ? { trustedOwners: [CALLER] } : {},
      };
    await pack.configure(config);
    await pack.configureStack({ stack: "test", project: "ami-guard", organization: "o", dryRun: true });
    // The warm-up ends with STS; wait for its last call (no Analyze is sent meanwhile, so it runs to the end).
    const deadline = Date.now() + 90_000;
    while (trace().filter((l) => l === "send GetCallerIdentityCommand canned").length < 10) {
      assert.ok(Date.now() < deadline, `the warm-up did not finish: ${trace().join("; ")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = trace();
    assert.ok(lines.includes("load @aws-sdk/client-ec2"), lines.join("; "));
    for (const call of ["DescribeImagesCommand", "DescribeImageAttributeCommand"])
      assert.ok(lines.includes(`send ${call} canned`), `${call} warmed`);
    assert.deepEqual(
      lines.filter((l) => l.startsWith("send ") && !l.endsWith(" canned")),
      [],
      "every warm-up call answered in-process",
    );
    assert.equal(server.calls.total, 0, "the warm-up reached the endpoint");
  });

  it("then asks EC2 itself and judges on its answer: the image the canned answer describes is missing", async () => {
    const region = awsProvider("us-east-1");
    const warm = await pack.analyze(
      resource("aws:ec2/instance:Instance", "warm", { ami: WARM_IMAGE_ID }, {}, region),
    );
    assert.deepEqual(flaggedBy(warm), [RULES.missing]);
    assert.match(warm.diagnostics[0].message, new RegExp(WARM_IMAGE_ID));
    const good = await pack.analyze(resource("aws:ec2/instance:Instance", "good", { ami: GOOD }, {}, region));
    assert.deepEqual(flaggedBy(good), []);
    assert.equal(described.get(WARM_IMAGE_ID), 1);
    assert.equal(described.get(GOOD), 1);
    assert.ok(trace().includes("send DescribeImagesCommand network"));
  });
});
