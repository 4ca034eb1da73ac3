/**
 * `resolve:ssm:` references resolved against a loopback SSM endpoint (AWS_ENDPOINT_URL_SSM, JSON protocol
 * `AmazonSSM.GetParameters`) with the pack's own client: found, not found, access denied, throttled past the
 * retries, timeout, malformed answers, and the version, label and ARN forms; batching and caching counted.
 */
import { strict as assert } from "node:assert";
import {
  SsmSource,
  defaultSsmClientFor,
  parseParameterReference,
  type ParameterRef,
} from "../../policy-pack/aws/ssm";
import {
  HANG,
  jsonError,
  jsonResponse,
  startEc2Server,
  type Ec2Handler,
  type Ec2Server,
  useLoopbackEnvironment,
} from "../../testing/ec2-server";

function ref(text: string): ParameterRef {
  const r = parseParameterReference(text);
  assert.ok(r && !("error" in r), `parses ${text}`);
  return r;
}

/** What SSM holds in the test account: name → versions (1-based), and labels → version. */
const STORE: Record<string, { values: string[]; labels?: Record<string, number>; arnAccount?: string }> = {
  "/golden/web": {
    values: ["ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003"],
    labels: { prod: 2 },
  },
  "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": {
    values: ["ami-0aaaaaaaaaaaaaaa1"],
    arnAccount: "",
  },
  "/golden/text": { values: ["not-an-ami"] },
};

/** A GetParameters handler over STORE, as SSM answers: values, selectors, ARNs and InvalidParameters. */
const getParameters: Ec2Handler = (r) => {
  const names = (r.json as { Names: string[] }).Names;
  const Parameters: unknown[] = [];
  const InvalidParameters: string[] = [];
  for (const asked of names) {
    const arn = /^arn:aws:ssm:([^:]+):([^:]*):parameter(\/.*?)(:[^:/]+)?$/.exec(asked);
    const [name, selector] = arn
      ? [arn[3], arn[4]]
      : [asked.replace(/:[^:/]+$/, ""), /:[^:/]+$/.exec(asked)?.[0]];
    const p = STORE[name];
    let version = p ? p.values.length : 0;
    if (p && selector)
      version = /^:[0-9]+$/.test(selector) ? Number(selector.slice(1)) : (p.labels?.[selector.slice(1)] ?? 0);
    if (!p || version < 1 || version > p.values.length) {
      InvalidParameters.push(asked);
      continue;
    }
    Parameters.push({
      Name: arn ? asked.replace(/:[^:/]+$/, (m) => (selector ? "" : m)) : name,
      Type: "String",
      Value: p.values[version - 1],
      Version: version,
      ...(selector ? { Selector: selector } : {}),
      ARN: `arn:aws:ssm:us-east-1:${p.arnAccount ?? "111111111111"}:parameter${name}`,
      DataType: "aws:ec2:image",
    });
  }
  return jsonResponse({ Parameters, InvalidParameters });
};

describe("SSM parameter references against a loopback SSM endpoint", () => {
  useLoopbackEnvironment({
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AMI_GUARD_EC2_TIMEOUT_MS: "1500",
  });
  let server: Ec2Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    delete process.env.AWS_MAX_ATTEMPTS;
  });

  async function serve(handler: Ec2Handler): Promise<SsmSource> {
    server = await startEc2Server({ handlers: { GetParameters: handler } });
    process.env.AWS_ENDPOINT_URL_SSM = server.url;
    return new SsmSource({ clientFor: defaultSsmClientFor });
  }

  it("resolves the plain, version, label, public and ARN forms in one batched GetParameters", async () => {
    let asked: string[] = [];
    const src = await serve((r) => {
      asked = (r.json as { Names: string[] }).Names;
      return getParameters(r);
    });
    const texts = [
      "resolve:ssm:/golden/web",
      "resolve:ssm:/golden/web:1",
      "resolve:ssm:/golden/web:prod",
      "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      "resolve:ssm:arn:aws:ssm:us-east-1:111111111111:parameter/golden/web:1",
    ];
    const results = await Promise.all(texts.map((t) => src.resolve(ref(t), "us-east-1")));
    assert.deepEqual(
      results.map((r) => (r.kind === "found" ? r.parameter.Value : r.kind)),
      [
        "ami-00000000000000003",
        "ami-00000000000000001",
        "ami-00000000000000002",
        "ami-0aaaaaaaaaaaaaaa1",
        "ami-00000000000000001",
      ],
    );
    assert.equal(server!.calls.GetParameters, 1);
    assert.deepEqual(asked, [
      "/golden/web",
      "/golden/web:1",
      "/golden/web:prod",
      "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      "arn:aws:ssm:us-east-1:111111111111:parameter/golden/web:1",
    ]);
  });

  it("asks each parameter once per process; concurrent asks share one call; ten names a call", async () => {
    const src = await serve(getParameters);
    const web = ref("resolve:ssm:/golden/web");
    await Promise.all([src.resolve(web, "us-east-1"), src.resolve(web, "us-east-1")]);
    await src.resolve(web, "us-east-1");
    assert.equal(server!.calls.GetParameters, 1);
    await src.resolve(web, "eu-west-1");
    assert.equal(server!.calls.GetParameters, 2, "another region is another parameter");
    const many = Array.from({ length: 12 }, (_, i) => ref(`resolve:ssm:/other/p${i}`));
    const results = await Promise.all(many.map((m) => src.resolve(m, "us-east-1")));
    assert.ok(results.every((r) => r.kind === "not-found"));
    assert.equal(server!.calls.GetParameters, 4, "12 names → two calls of at most ten");
    assert.equal(src.calls.getParameters, 4);
  });

  it("answers not-found for a name SSM lists as invalid, and keeps the rest of the batch", async () => {
    const src = await serve(getParameters);
    const [a, b, c] = await Promise.all([
      src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1"),
      src.resolve(ref("resolve:ssm:/golden/missing"), "us-east-1"),
      src.resolve(ref("resolve:ssm:/golden/web:9"), "us-east-1"),
    ]);
    assert.deepEqual([a.kind, b.kind, c.kind], ["found", "not-found", "not-found"]);
  });

  it("fails closed on AccessDenied, naming the cause, without retrying", async () => {
    const src = await serve(() =>
      jsonError("AccessDeniedException", "User is not authorized to perform: ssm:GetParameters", 400),
    );
    const r = await src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1");
    assert.equal(r.kind, "error");
    assert.match(
      (r as { cause: string }).cause,
      /^AccessDeniedException \(HTTP 400\): User is not authorized/,
    );
    assert.equal(server!.calls.GetParameters, 1);
  });

  it("retries throttling and then fails closed when it outlasts the retries", async () => {
    process.env.AWS_MAX_ATTEMPTS = "3";
    const src = await serve(() => jsonError("ThrottlingException", "Rate exceeded", 400));
    const r = await src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1");
    assert.equal(r.kind, "error");
    assert.match((r as { cause: string }).cause, /ThrottlingException/);
    assert.equal(server!.calls.GetParameters, 3);
  });

  it("retries a throttled call and then answers", async () => {
    const src = await serve((r) =>
      r.attempt === 1 ? jsonError("ThrottlingException", "Rate exceeded") : getParameters(r),
    );
    const r = await src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1");
    assert.equal(r.kind, "found");
    assert.equal(server!.calls.GetParameters, 2);
  });

  it("fails closed on a timeout (AMI_GUARD_EC2_TIMEOUT_MS)", async () => {
    process.env.AWS_MAX_ATTEMPTS = "1";
    const src = await serve(() => HANG);
    const r = await src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1");
    assert.equal(r.kind, "error");
    assert.match((r as { cause: string }).cause, /timeout|timed out|socket hang up/i);
  });

  it("fails closed on malformed answers: not JSON, a wrong shape, or a name neither answered nor invalid", async () => {
    for (const reply of [
      { status: 200, body: "<html>not SSM</html>", contentType: "application/x-amz-json-1.1" },
      jsonResponse({ Parameters: "ami-00000000000000001" }),
      jsonResponse({ Parameters: [], InvalidParameters: [] }),
      jsonResponse({ Parameters: [{ Name: "/golden/web", Value: 42 }] }),
    ]) {
      const src = await serve(() => reply);
      const r = await src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1");
      assert.equal(r.kind, "error", JSON.stringify(reply));
      await server!.close();
      server = undefined;
    }
  });

  it("resolves an ARN reference in the ARN's region", async () => {
    const regions: string[] = [];
    server = await startEc2Server({ handlers: { GetParameters: getParameters } });
    process.env.AWS_ENDPOINT_URL_SSM = server.url;
    const src = new SsmSource({
      clientFor: (region) => {
        regions.push(region);
        return defaultSsmClientFor(region);
      },
    });
    const r = await src.resolve(
      ref("resolve:ssm:arn:aws:ssm:us-east-1:111111111111:parameter/golden/web"),
      "eu-west-1",
    );
    assert.equal(r.kind, "found");
    assert.deepEqual(regions, ["us-east-1"]);
  });
});

describe("parseParameterReference", () => {
  it("reads names, versions, labels and ARNs", () => {
    assert.deepEqual(parseParameterReference("resolve:ssm:/a/b"), {
      text: "resolve:ssm:/a/b",
      name: "/a/b",
      selector: undefined,
    });
    assert.equal((parseParameterReference("resolve:ssm:/a/b:12") as ParameterRef).selector, ":12");
    assert.equal((parseParameterReference("resolve:ssm:/a/b:prod") as ParameterRef).selector, ":prod");
    const arn = parseParameterReference(
      "resolve:ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/a/b:3",
    ) as ParameterRef;
    assert.deepEqual(
      { name: arn.name, selector: arn.selector, region: arn.region },
      { name: "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b", selector: ":3", region: "eu-west-1" },
    );
    assert.equal(parseParameterReference("ami-00000000000000001"), undefined);
  });

  it("rejects malformed references with a reason", () => {
    for (const bad of [
      "resolve:ssm:",
      "resolve:ssm:/a b",
      "resolve:ssm:/a:1:2",
      "resolve:ssm:/a:",
      "resolve:ssm:arn:aws:s3:::bucket",
      "resolve:ssm:arn:aws:ssm:us-east-1:1:parameter/a",
    ]) {
      const r = parseParameterReference(bad);
      assert.ok(r && "error" in r, bad);
    }
  });
});
