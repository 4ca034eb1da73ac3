import assert from "node:assert/strict";
import {
  DescribeImagesCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { amiProtectionProvider } from "../../components/ami-protection";

/** The dynamic provider itself, against a mocked EC2 client (no network). */
describe("AmiProtection dynamic provider", function () {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());
  after(() => ec2.restore());
  const state = {
    imageId: "ami-0123456789abcdef0",
    region: "eu-west-1",
    deprecateAfterDays: 28,
    withCooldown: true,
  };

  it("create: deprecates at creation + N days and enables deregistration protection with cooldown", async function () {
    ec2
      .on(DescribeImagesCommand)
      .resolves({ Images: [{ ImageId: state.imageId, CreationDate: "2025-03-01T12:00:00.000Z" }] });
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });
    ec2.on(EnableImageDeregistrationProtectionCommand).resolves({ Return: "true" });
    const result = await amiProtectionProvider.create!(state);
    assert.equal(result.id, state.imageId);
    assert.equal(result.outs.deprecationTime, "2025-03-29T12:00:00.000Z");
    const deprecation = ec2.commandCalls(EnableImageDeprecationCommand)[0].args[0].input;
    assert.equal(deprecation.ImageId, state.imageId);
    assert.equal(deprecation.DeprecateAt?.toISOString(), "2025-03-29T12:00:00.000Z");
    assert.deepEqual(ec2.commandCalls(EnableImageDeregistrationProtectionCommand)[0].args[0].input, {
      ImageId: state.imageId,
      WithCooldown: true,
    });
  });

  it("create fails when the AMI does not exist (nothing is half-protected)", async function () {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    await assert.rejects(amiProtectionProvider.create!(state), /not found/);
    assert.equal(ec2.commandCalls(EnableImageDeregistrationProtectionCommand).length, 0);
  });

  it("diff: a new image or region replaces, a new cadence updates, nothing else changes", async function () {
    assert.deepEqual(
      await amiProtectionProvider.diff!(state.imageId, state, { ...state, imageId: "ami-0fedcba9876543210" }),
      {
        changes: true,
        replaces: ["imageId"],
        deleteBeforeReplace: false,
      },
    );
    assert.deepEqual(
      await amiProtectionProvider.diff!(state.imageId, state, { ...state, deprecateAfterDays: 14 }),
      {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      },
    );
    assert.equal((await amiProtectionProvider.diff!(state.imageId, state, { ...state })).changes, false);
  });

  it("delete: removes deregistration protection, and tolerates an AMI already gone", async function () {
    ec2.on(DisableImageDeregistrationProtectionCommand).resolves({ Return: "true" });
    await amiProtectionProvider.delete!(state.imageId, state);
    assert.deepEqual(ec2.commandCalls(DisableImageDeregistrationProtectionCommand)[0].args[0].input, {
      ImageId: state.imageId,
    });
    ec2.reset();
    const gone = Object.assign(new Error("gone"), { name: "InvalidAMIID.NotFound" });
    ec2.on(DisableImageDeregistrationProtectionCommand).rejects(gone);
    await amiProtectionProvider.delete!(state.imageId, state);
    ec2.reset();
    ec2
      .on(DisableImageDeregistrationProtectionCommand)
      .rejects(Object.assign(new Error("denied"), { name: "UnauthorizedOperation" }));
    await assert.rejects(amiProtectionProvider.delete!(state.imageId, state), /denied/);
  });
});
