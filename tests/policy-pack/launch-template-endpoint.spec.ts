/**
 * Launch template versions looked up against a loopback EC2 endpoint (AWS_ENDPOINT_URL_EC2,
 * DescribeLaunchTemplateVersions), and the whole chain — template → `resolve:ssm:` parameter → image — through
 * every policy with the pack's live sources against loopback EC2 and SSM endpoints, with the calls counted.
 */
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { mockClient } from "aws-sdk-client-mock";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { Ec2Source, defaultClientFor } from "../../policy-pack/aws/lookup";
import { Ec2TemplateSource } from "../../policy-pack/aws/launch-templates";
import {
  SsmSource,
  defaultSsmClientFor,
  parseParameterReference,
  type ParameterRef,
} from "../../policy-pack/aws/ssm";
import { setReferenceSources } from "../../policy-pack/aws/references";
import { setAmiSource, setClock } from "../../policy-pack/runtime/policy";
import { policies } from "../../policy-pack/policies";
import {
  HANG,
  ec2Error,
  ec2Response,
  imageToWire,
  jsonResponse,
  listParam,
  startEc2Server,
  type Ec2Handler,
  type Ec2Request,
  type Ec2Server,
  useLoopbackEnvironment,
} from "../../testing/ec2-server";
import { NOW, TRUST_FIXTURE, image, runPolicy } from "../helpers/policy";

const GOOD = "ami-00000000000000001";
const COMMUNITY = "ami-00000000000000002";

/** The account's launch templates: id → name and versions (1-based) with their images; default version. */
const TEMPLATES: Record<string, { name: string; images: (string | undefined)[]; default: number }> = {
  "lt-0000000000000web": { name: "web", images: [GOOD, COMMUNITY, "resolve:ssm:/golden/web"], default: 1 },
};

/** DescribeLaunchTemplateVersions over TEMPLATES, as EC2 answers (errors for unknown templates and versions). */
const describeVersions: Ec2Handler = (r: Ec2Request) => {
  const byName = r.params.LaunchTemplateName;
  const id = r.params.LaunchTemplateId ?? Object.keys(TEMPLATES).find((k) => TEMPLATES[k].name === byName);
  const t = id ? TEMPLATES[id] : undefined;
  if (!t || !id) {
    return byName
      ? ec2Error(
          "InvalidLaunchTemplateName.NotFoundException",
          `At least one of the launch templates specified in the request does not exist.`,
        )
      : ec2Error(
          "InvalidLaunchTemplateId.NotFound",
          `The specified launch template, with template ID ${r.params.LaunchTemplateId}, does not exist.`,
        );
  }
  const wanted = listParam(r.params, "LaunchTemplateVersion");
  const numbers = wanted.map((v) =>
    v === "$Default" ? t.default : v === "$Latest" ? t.images.length : Number(v),
  );
  if (numbers.some((n) => !(n >= 1 && n <= t.images.length)))
    return ec2Error(
      "InvalidLaunchTemplateId.VersionNotFound",
      `Could not find launch template version ${wanted.join(", ")} for ${id}`,
    );
  return ec2Response("DescribeLaunchTemplateVersions", {
    launchTemplateVersionSet: [...new Set(numbers)].map((n) => ({
      launchTemplateId: id,
      launchTemplateName: t.name,
      versionNumber: n,
      defaultVersion: n === t.default,
      launchTemplateData: t.images[n - 1] ? { imageId: t.images[n - 1] } : {},
    })),
  });
};

describe("launch template versions against a loopback EC2 endpoint", () => {
  useLoopbackEnvironment({
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AMI_GUARD_EC2_TIMEOUT_MS: "1500",
  });
  let server: Ec2Server | undefined;
  after(() => {
    setReferenceSources(undefined);
    setAmiSource(undefined);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    delete process.env.AWS_MAX_ATTEMPTS;
  });

  async function serve(handlers: Record<string, Ec2Handler>): Promise<Ec2Server> {
    server = await startEc2Server({ handlers });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    process.env.AWS_ENDPOINT_URL_SSM = server.url;
    return server;
  }

  it("resolves $Default, $Latest and numbers by id and by name, one call per template per tick, cached", async () => {
    await serve({ DescribeLaunchTemplateVersions: describeVersions });
    const src = new Ec2TemplateSource({ clientFor: defaultClientFor });
    const asks = [
      { id: "lt-0000000000000web", version: "$Default" },
      { id: "lt-0000000000000web", version: "$Latest" },
      { id: "lt-0000000000000web", version: "2" },
      { id: "lt-0000000000000web", version: "2" },
    ];
    const got = await Promise.all(asks.map((t) => src.version(t, "us-east-1")));
    assert.deepEqual(
      got.map((r) => (r.kind === "found" ? `${r.versionNumber}:${r.imageId}` : r.kind)),
      [`1:${GOOD}`, "3:resolve:ssm:/golden/web", `2:${COMMUNITY}`, `2:${COMMUNITY}`],
    );
    assert.equal(server!.calls.DescribeLaunchTemplateVersions, 1);
    const byName = await src.version({ name: "web", version: "$Default" }, "us-east-1");
    assert.equal(byName.kind === "found" && byName.imageId, GOOD);
    assert.equal(server!.calls.DescribeLaunchTemplateVersions, 2, "by name is its own call");
    await src.version({ id: "lt-0000000000000web", version: "$Latest" }, "us-east-1");
    assert.equal(src.calls.describeLaunchTemplateVersions, 2, "each version once per process");
  });

  it("answers not-found for an unknown template or version, keeping the other versions of the batch", async () => {
    await serve({ DescribeLaunchTemplateVersions: describeVersions });
    const src = new Ec2TemplateSource({ clientFor: defaultClientFor });
    const [a, b, c] = await Promise.all([
      src.version({ id: "lt-0000000000000web", version: "1" }, "us-east-1"),
      src.version({ id: "lt-0000000000000web", version: "9" }, "us-east-1"),
      src.version({ id: "lt-00000000000000no", version: "1" }, "us-east-1"),
    ]);
    assert.deepEqual([a.kind, b.kind, c.kind], ["found", "not-found", "not-found"]);
    assert.match((c as { cause: string }).cause, /InvalidLaunchTemplateId.NotFound/);
  });

  it("fails closed on UnauthorizedOperation, throttling past the retries, a timeout and malformed answers", async () => {
    const cases: [Ec2Handler, RegExp][] = [
      [
        () => ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", 403),
        /UnauthorizedOperation/,
      ],
      [() => ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503), /RequestLimitExceeded/],
      [() => HANG, /timeout|timed out|socket hang up/i],
      [() => ({ status: 200, body: "<html>not EC2</html" }), /./],
      [() => ec2Response("DescribeLaunchTemplateVersions", {}), /MalformedResponse/],
    ];
    process.env.AWS_MAX_ATTEMPTS = "2";
    for (const [handler, cause] of cases) {
      await serve({ DescribeLaunchTemplateVersions: handler });
      const r = await new Ec2TemplateSource({ clientFor: defaultClientFor }).version(
        { id: "lt-0000000000000web", version: "1" },
        "us-east-1",
      );
      assert.equal(r.kind, "error");
      assert.match((r as { cause: string }).cause, cause);
      await server!.close();
      server = undefined;
    }
  });

  it("judges template → parameter → image through every policy, one call per distinct template version, parameter and image", async () => {
    const srv = await serve({
      DescribeLaunchTemplateVersions: describeVersions,
      GetParameters: (r) => {
        const names = (r.json as { Names: string[] }).Names;
        return jsonResponse({
          Parameters: names
            .filter((n) => n === "/golden/web")
            .map((Name) => ({
              Name,
              Value: COMMUNITY,
              Version: 7,
              Type: "String",
              DataType: "aws:ec2:image",
            })),
          InvalidParameters: names.filter((n) => n !== "/golden/web"),
        });
      },
      DescribeImages: (r) =>
        ec2Response("DescribeImages", {
          imagesSet: listParam(r.params, "ImageId").map((ImageId) =>
            imageToWire(
              image(ImageId === COMMUNITY ? { ImageId, OwnerId: "999999999999", Public: true } : { ImageId }),
            ),
          ),
        }),
      DescribeImageAttribute: (r) =>
        ec2Response("DescribeImageAttribute", { imageId: r.params.ImageId, launchPermission: [] }),
    });
    setAmiSource(new Ec2Source({ clientFor: defaultClientFor }));
    setReferenceSources({
      parameters: new SsmSource({ clientFor: defaultSsmClientFor }),
      templates: new Ec2TemplateSource({ clientFor: defaultClientFor }),
    });
    setClock(() => NOW);
    const groups = ["a", "b", "c"].map((name) => ({
      type: "aws:autoscaling/group:Group",
      name,
      props: { launchTemplate: { id: "lt-0000000000000web", version: "$Latest" } },
      providerProps: { region: "us-east-1" },
      config: TRUST_FIXTURE,
    }));
    const violations: string[] = [];
    await Promise.all(
      groups.flatMap((g) =>
        policies
          .filter((p): p is ResourceValidationPolicy => "validateResource" in p)
          .map(async (p) => violations.push(...(await runPolicy(p, g)).violations)),
      ),
    );
    const untrusted = violations.filter((v) => /is owned by 999999999999/.test(v));
    assert.equal(untrusted.length, 3, violations.join("\n"));
    assert.match(
      untrusted[0],
      /launch template lt-0000000000000web \(version \$Latest = 3, web\) → SSM parameter \/golden\/web version 7/,
    );
    assert.equal(srv.calls.DescribeLaunchTemplateVersions, 1);
    assert.equal(srv.calls.GetParameters, 1);
    assert.equal(srv.calls.DescribeImages, 1);
  });
});

describe("SSM and launch template look-ups (aws-sdk-client-mock)", () => {
  let ssm: ReturnType<typeof mockClient>;
  let ec2: ReturnType<typeof mockClient>;
  before(() => {
    ssm = mockClient(SSMClient);
    ec2 = mockClient(EC2Client);
  });
  after(() => {
    ssm.restore();
    ec2.restore();
  });
  afterEach(() => {
    ssm.reset();
    ec2.reset();
  });
  const creds = { region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } };
  const ref = (t: string) => parseParameterReference(t) as ParameterRef;

  it("batches GetParameters and maps selectors and invalid names back to each reference", async () => {
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
      Parameters: input.Names.filter((n) => n.startsWith("/golden/web")).map((n) => ({
        Name: "/golden/web",
        Value: n.endsWith(":1") ? GOOD : COMMUNITY,
        Version: n.endsWith(":1") ? 1 : 2,
        ...(n.includes(":") ? { Selector: n.slice(n.indexOf(":")) } : {}),
      })),
      InvalidParameters: input.Names.filter((n) => !n.startsWith("/golden/web")),
    }));
    const client = new SSMClient(creds);
    const src = new SsmSource({ clientFor: () => client });
    const [a, b, c] = await Promise.all([
      src.resolve(ref("resolve:ssm:/golden/web:1"), "us-east-1"),
      src.resolve(ref("resolve:ssm:/golden/web"), "us-east-1"),
      src.resolve(ref("resolve:ssm:/golden/none"), "us-east-1"),
    ]);
    assert.equal(a.kind === "found" && a.parameter.Value, GOOD);
    assert.equal(b.kind === "found" && b.parameter.Value, COMMUNITY);
    assert.equal(c.kind, "not-found");
    assert.equal(ssm.commandCalls(GetParametersCommand).length, 1);
  });

  it("splits a batch that one bad name fails with ValidationException", async () => {
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => {
      if (input.Names.includes("/bad"))
        throw Object.assign(new Error("invalid"), { name: "ValidationException" });
      return { Parameters: input.Names.map((Name) => ({ Name, Value: GOOD, Version: 1 })) };
    });
    const client = new SSMClient(creds);
    const src = new SsmSource({ clientFor: () => client });
    const got = await Promise.all(
      ["/a", "/bad", "/c"].map((n) => src.resolve(ref(`resolve:ssm:${n}`), "us-east-1")),
    );
    assert.deepEqual(
      got.map((r) => r.kind),
      ["found", "error", "found"],
    );
  });

  it("describes a launch template by name with the version the resource names", async () => {
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        {
          LaunchTemplateId: "lt-1",
          LaunchTemplateName: "web",
          VersionNumber: 4,
          LaunchTemplateData: { ImageId: GOOD },
        },
      ],
    });
    const client = new EC2Client(creds);
    const r = await new Ec2TemplateSource({ clientFor: () => client }).version(
      { name: "web", version: "4" },
      "us-east-1",
    );
    assert.equal(r.kind === "found" && r.imageId, GOOD);
    assert.deepEqual(ec2.commandCalls(DescribeLaunchTemplateVersionsCommand)[0].args[0].input, {
      LaunchTemplateName: "web",
      Versions: ["4"],
    });
  });
});
