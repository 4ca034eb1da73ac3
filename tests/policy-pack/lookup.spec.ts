import { strict as assert } from "node:assert";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeImageAttributeCommand, DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Ec2Source, InventoryError, InventorySource, parseInventory } from "../../policy-pack/aws/lookup";
import { factsFromImage } from "../../policy-pack/rules/facts";
import { image } from "../helpers/policy";

function notFound(ids: string[]): Error {
  return Object.assign(new Error(`The image id '[${ids.join(", ")}]' does not exist`), {
    name: "InvalidAMIID.NotFound",
  });
}

describe("AMI look-ups against EC2 (aws-sdk-client-mock)", () => {
  // The mock patches EC2Client for the whole process: install it for this suite only.
  let ec2: ReturnType<typeof mockClient>;
  before(() => (ec2 = mockClient(EC2Client)));
  after(() => ec2.restore());
  const client = new EC2Client({
    region: "us-east-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  afterEach(() => ec2.reset());

  it("batches concurrent asks into one DescribeImages and asks each AMI once per process", async () => {
    ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => ({
      Images: input.ImageIds.map((ImageId) => image({ ImageId })),
    }));
    const src = new Ec2Source({ clientFor: () => client });
    const ids = ["ami-00000000000000001", "ami-00000000000000002", "ami-00000000000000003"];
    const results = await Promise.all([...ids, ...ids, ids[0]].map((id) => src.lookup(id, "us-east-1")));
    assert.ok(results.every((r) => r.kind === "found"));
    assert.equal(ec2.commandCalls(DescribeImagesCommand).length, 1);
    assert.deepEqual(ec2.commandCalls(DescribeImagesCommand)[0].args[0].input.ImageIds, ids);
    await src.lookup(ids[1], "us-east-1");
    assert.equal(src.calls.describeImages, 1, "cached for the life of the process");
    await src.lookup(ids[1], "eu-west-1");
    assert.equal(src.calls.describeImages, 2, "a different region is a different image");
  });

  it("survives one unknown id in a batch: EC2 fails the whole call, the others are still found", async () => {
    const dead = "ami-0000000000000dead";
    ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => {
      if (input.ImageIds.includes(dead)) throw notFound([dead]);
      return { Images: input.ImageIds.map((ImageId) => image({ ImageId })) };
    });
    const src = new Ec2Source({ clientFor: () => client });
    const ids = ["ami-00000000000000001", dead, "ami-00000000000000003", "ami-00000000000000004"];
    const results = await Promise.all(ids.map((id) => src.lookup(id, "us-east-1")));
    assert.deepEqual(
      results.map((r) => r.kind),
      ["found", "not-found", "found", "found"],
    );
    assert.ok(
      src.calls.describeImages <= 1 + 2 * Math.ceil(Math.log2(ids.length)),
      `calls: ${src.calls.describeImages}`,
    );
  });

  it("reports an empty answer as not found", async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    const src = new Ec2Source({ clientFor: () => client });
    assert.equal((await src.lookup("ami-00000000000000001", "us-east-1")).kind, "not-found");
  });

  it("turns AccessDenied into a fail-closed error naming the cause, without a stack", async () => {
    ec2.on(DescribeImagesCommand).rejects(
      Object.assign(new Error("You are not authorized to perform this operation."), {
        name: "UnauthorizedOperation",
      }),
    );
    const src = new Ec2Source({ clientFor: () => client });
    const r = await src.lookup("ami-00000000000000001", "us-east-1");
    assert.equal(r.kind, "error");
    assert.match((r as { cause: string }).cause, /^UnauthorizedOperation: You are not authorized/);
  });

  describe("launch permissions: a discriminated answer, failing closed for anything but a stranger's AuthFailure", () => {
    let sts: ReturnType<typeof mockClient>;
    before(() => (sts = mockClient(STSClient)));
    after(() => sts.restore());
    afterEach(() => sts.reset());
    const stsClient = new STSClient({
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    const OURS = "111111111111";
    const facts = (n: number, owner: string | undefined = OURS) =>
      factsFromImage(image({ ImageId: `ami-0000000000000000${n}`, OwnerId: owner }))!;
    const fail = (name: string, status: number) =>
      Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
    const source = () => new Ec2Source({ clientFor: () => client, stsClientFor: () => stsClient });

    beforeEach(() => sts.on(GetCallerIdentityCommand).resolves({ Account: OURS }));

    it("known: the owner reads them", async () => {
      ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [{ UserId: "222222222222" }] });
      const src = source();
      assert.deepEqual(await src.launchPermissions(facts(1), "us-east-1", false), {
        kind: "known",
        permissions: [{ UserId: "222222222222" }],
      });
      await src.launchPermissions(facts(1), "us-east-1", false);
      assert.equal(src.calls.describeImageAttribute, 1, "asked once per image and region");
      assert.equal(src.calls.getCallerIdentity, 0, "STS is only asked to place an AuthFailure");
    });

    it("not-owner: AuthFailure for an image another account owns; the caller's account is asked once", async () => {
      ec2.on(DescribeImageAttributeCommand).rejects(fail("AuthFailure", 401));
      const src = source();
      assert.deepEqual(await src.launchPermissions(facts(2, "999999999999"), "us-east-1", true), {
        kind: "not-owner",
      });
      assert.deepEqual(await src.launchPermissions(facts(3, "888888888888"), "eu-west-1", true), {
        kind: "not-owner",
      });
      assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
    });

    it("error: AuthFailure for an image of the caller's own account, or with no owner reported", async () => {
      ec2.on(DescribeImageAttributeCommand).rejects(fail("AuthFailure", 401));
      const own = await source().launchPermissions(facts(4), "us-east-1", false);
      assert.equal(own.kind, "error");
      assert.match((own as { cause: string }).cause, /AuthFailure .*caller's own account 111111111111/);
      const anonymous = await source().launchPermissions(facts(5, ""), "us-east-1", false);
      assert.equal(anonymous.kind, "error");
      assert.match((anonymous as { cause: string }).cause, /no owner/);
    });

    it("error: AuthFailure when the caller's account cannot be learned", async () => {
      ec2.on(DescribeImageAttributeCommand).rejects(fail("AuthFailure", 401));
      sts.reset();
      sts.on(GetCallerIdentityCommand).rejects(fail("ExpiredToken", 403));
      const r = await source().launchPermissions(facts(6, "999999999999"), "us-east-1", false);
      assert.equal(r.kind, "error");
      assert.match((r as { cause: string }).cause, /sts:GetCallerIdentity: ExpiredToken/);
    });

    for (const [what, answer] of [
      ["UnauthorizedOperation", fail("UnauthorizedOperation", 403)],
      ["a 5xx past the retries", fail("InternalError", 500)],
      ["throttling past the retries", fail("RequestLimitExceeded", 503)],
      ["a timeout", fail("TimeoutError", 0)],
    ] as const) {
      it(`error: ${what}, naming the cause (never read as "not ours")`, async () => {
        ec2.on(DescribeImageAttributeCommand).rejects(answer);
        const r = await source().launchPermissions(facts(7, "999999999999"), "us-east-1", false);
        assert.equal(r.kind, "error");
        assert.match((r as { cause: string }).cause, new RegExp(`^${answer.name}`));
      });
    }

    it("error: an answer without a launchPermission list, or a malformed one", async () => {
      for (const answer of [{}, { LaunchPermissions: "all" }, { LaunchPermissions: [null] }]) {
        ec2.reset();
        ec2.on(DescribeImageAttributeCommand).resolves(answer as never);
        const r = await source().launchPermissions(facts(8), "us-east-1", false);
        assert.equal(r.kind, "error", JSON.stringify(answer));
        assert.match((r as { cause: string }).cause, /without a launchPermission list/);
      }
    });
  });
});

describe("inventory files", () => {
  it("reads the describe-images shape", () => {
    const m = parseInventory(
      JSON.stringify({ Images: [image({ ImageId: "ami-00000000000000001" })] }),
      "inv.json",
    );
    assert.equal(m.get("ami-00000000000000001")?.ebs[0].encrypted, true);
  });

  it("rejects other shapes naming the file", () => {
    assert.throws(
      () => parseInventory("{", "inv.json"),
      (e: Error) => e instanceof InventoryError && /inv\.json is not valid JSON/.test(e.message),
    );
    assert.throws(
      () => parseInventory("[]", "inv.json"),
      /inv\.json is not in the shape of 'aws ec2 describe-images --output json'/,
    );
    assert.throws(
      () => parseInventory('{"Images":[{"Name":"x"}]}', "inv.json"),
      /inv\.json: Images\[0\] has no ImageId/,
    );
  });
});

describe("inventory launch permissions", () => {
  const images = parseInventory(
    JSON.stringify({
      Images: [
        image({ ImageId: "ami-00000000000000001", LaunchPermissions: [{ UserId: "222222222222" }] }),
        image({ ImageId: "ami-00000000000000002", LaunchPermissions: undefined }),
      ],
    }),
    "inv.json",
  );
  const src = new InventorySource(images, "inv.json");
  const f = (id: string) => images.get(id)!;

  it("vouches with the LaunchPermissions it carries", async () => {
    assert.deepEqual(await src.launchPermissions(f("ami-00000000000000001"), "us-east-1", true), {
      kind: "known",
      permissions: [{ UserId: "222222222222" }],
    });
  });

  it("cannot vouch for an image of ours without LaunchPermissions, and says so naming the file", async () => {
    const r = await src.launchPermissions(f("ami-00000000000000002"), "us-east-1", true);
    assert.equal(r.kind, "error");
    assert.match(
      (r as { cause: string }).cause,
      /inventory inv\.json has no LaunchPermissions .*cannot vouch/,
    );
  });

  it("leaves a stranger's image without LaunchPermissions to the trust rule", async () => {
    assert.deepEqual(await src.launchPermissions(f("ami-00000000000000002"), "us-east-1", false), {
      kind: "not-owner",
    });
  });
});
