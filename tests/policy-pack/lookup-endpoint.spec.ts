/**
 * The pack's EC2 look-ups against a loopback EC2 endpoint (AWS_ENDPOINT_URL_EC2): retries under throttling
 * and 5xx, and fail-closed answers for timeouts, malformed answers, AccessDenied, not-found and a dead endpoint.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { Ec2Source, defaultClientFor } from "../../policy-pack/aws/lookup";
import {
  HANG,
  ec2Error,
  ec2Response,
  imageToWire,
  listParam,
  startEc2Server,
  type Ec2Server,
  useLoopbackEnvironment,
} from "../../testing/ec2-server";
import { image } from "../helpers/policy";

function images(ids: string[]): string {
  return ec2Response("DescribeImages", { imagesSet: ids.map((ImageId) => imageToWire(image({ ImageId }))) });
}

describe("AMI look-ups against a loopback EC2 endpoint", () => {
  useLoopbackEnvironment({
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AMI_GUARD_EC2_TIMEOUT_MS: "1500",
  });
  let server: Ec2Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(
    handler: Parameters<typeof startEc2Server>[0]["handlers"]["DescribeImages"],
  ): Promise<Ec2Source> {
    server = await startEc2Server({ handlers: { DescribeImages: handler } });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    return new Ec2Source({ clientFor: defaultClientFor });
  }

  it("retries RequestLimitExceeded (adaptive mode) and then answers", async () => {
    const src = await serve((r) =>
      r.attempt <= 2
        ? ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503)
        : images(listParam(r.params, "ImageId")),
    );
    const r = await src.lookup("ami-00000000000000001", "us-east-1");
    assert.equal(r.kind, "found");
    assert.equal(server!.calls.DescribeImages, 3);
  });

  it("retries 5xx answers", async () => {
    const src = await serve((r) =>
      r.attempt === 1
        ? ec2Error("InternalError", "An internal error has occurred", 500)
        : images(listParam(r.params, "ImageId")),
    );
    assert.equal((await src.lookup("ami-00000000000000001", "us-east-1")).kind, "found");
    assert.equal(server!.calls.DescribeImages, 2);
  });

  it("fails closed, naming the cause, when throttling outlasts the retries", async () => {
    process.env.AWS_MAX_ATTEMPTS = "2";
    try {
      const src = await serve(() => ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503));
      const r = await src.lookup("ami-00000000000000001", "us-east-1");
      assert.equal(r.kind, "error");
      assert.match((r as { cause: string }).cause, /RequestLimitExceeded/);
      assert.equal(server!.calls.DescribeImages, 2);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });

  it("fails closed on AccessDenied without retrying", async () => {
    const src = await serve(() =>
      ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", 403),
    );
    const r = await src.lookup("ami-00000000000000001", "eu-west-1");
    assert.deepEqual(
      { kind: r.kind, region: (r as { region: string }).region },
      { kind: "error", region: "eu-west-1" },
    );
    assert.match(
      (r as { cause: string }).cause,
      /^UnauthorizedOperation \(HTTP 403\): You are not authorized/,
    );
    assert.equal(server!.calls.DescribeImages, 1);
  });

  it("fails closed on a malformed answer", async () => {
    const src = await serve(() => ({ status: 200, body: "<html>this is not EC2</html" }));
    const r = await src.lookup("ami-00000000000000001", "us-east-1");
    assert.equal(r.kind, "error");
  });

  it("fails closed on a timeout", async () => {
    process.env.AWS_MAX_ATTEMPTS = "1";
    try {
      const src = await serve(() => HANG);
      const started = Date.now();
      const r = await src.lookup("ami-00000000000000001", "us-east-1");
      assert.equal(r.kind, "error");
      assert.match((r as { cause: string }).cause, /timeout|timed out|socket hang up/i);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });

  it("answers not-found for an unknown id and keeps the rest of the batch", async () => {
    const dead = "ami-0000000000000dead";
    const src = await serve((r) => {
      const ids = listParam(r.params, "ImageId");
      return ids.includes(dead)
        ? ec2Error("InvalidAMIID.NotFound", `The image id '[${dead}]' does not exist`)
        : images(ids);
    });
    const [a, b] = await Promise.all([
      src.lookup("ami-00000000000000001", "us-east-1"),
      src.lookup(dead, "us-east-1"),
    ]);
    assert.equal(a.kind, "found");
    assert.equal(b.kind, "not-found");
  });

  it("fails closed when the endpoint is down", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${port}`;
    process.env.AWS_MAX_ATTEMPTS = "2";
    try {
      const r = await new Ec2Source({ clientFor: defaultClientFor }).lookup(
        "ami-00000000000000001",
        "us-east-1",
      );
      assert.equal(r.kind, "error");
      assert.match((r as { cause: string }).cause, /ECONNREFUSED/);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });
});
