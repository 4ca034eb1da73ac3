import { strict as assert } from "node:assert";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeImageAttributeCommand, DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { Ec2Source, InventoryError, parseInventory } from "../../policy-pack/core/lookup";
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

  it("reads launch permissions where the caller owns the image, and answers undefined otherwise", async () => {
    ec2
      .on(DescribeImageAttributeCommand, { ImageId: "ami-00000000000000001" })
      .resolves({ LaunchPermissions: [{ UserId: "222222222222" }] });
    ec2
      .on(DescribeImageAttributeCommand, { ImageId: "ami-00000000000000002" })
      .rejects(Object.assign(new Error("Not authorized for image"), { name: "AuthFailure" }));
    const src = new Ec2Source({ clientFor: () => client });
    assert.deepEqual(await src.launchPermissions("ami-00000000000000001", "us-east-1"), [
      { UserId: "222222222222" },
    ]);
    assert.equal(await src.launchPermissions("ami-00000000000000002", "us-east-1"), undefined);
    await src.launchPermissions("ami-00000000000000001", "us-east-1");
    assert.equal(src.calls.describeImageAttribute, 2);
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
