import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link AmiProtection}. */
export interface AmiProtectionArgs {
  /** The AMI to protect (one this stack makes). */
  readonly imageId: pulumi.Input<string>;
  /** Region of the AMI. */
  readonly region: pulumi.Input<string>;
  /** Days after the AMI's creation at which it is deprecated. */
  readonly deprecateAfterDays: pulumi.Input<number>;
  /** Keep deregistration blocked for 24 hours after protection is removed (EC2's cooldown). */
  readonly withCooldown: pulumi.Input<boolean>;
}

interface ProtectionState {
  imageId: string;
  region: string;
  deprecateAfterDays: number;
  withCooldown: boolean;
  deprecationTime?: string;
}

const DAY_MS = 86_400_000;

/**
 * The dynamic provider. @pulumi/aws has no property for deregistration protection, so this calls EC2
 * directly (credentials and endpoint from the environment, as the aws provider does): on create and update,
 * EnableImageDeprecation at creation + N days and EnableImageDeregistrationProtection; on delete,
 * DisableImageDeregistrationProtection (so an image this stack replaces can be retired).
 * The SDK is loaded inside each method so the serialised provider stays small.
 */
export const amiProtectionProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ProtectionState): Promise<pulumi.dynamic.CreateResult> {
    const ec2 = await import("@aws-sdk/client-ec2");
    const client = new ec2.EC2Client({ region: inputs.region });
    const described = await client.send(new ec2.DescribeImagesCommand({ ImageIds: [inputs.imageId] }));
    const created = described.Images?.[0]?.CreationDate;
    if (!created) throw new Error(`AMI ${inputs.imageId} not found in ${inputs.region}`);
    const deprecateAt = new Date(new Date(created).getTime() + inputs.deprecateAfterDays * DAY_MS);
    await client.send(
      new ec2.EnableImageDeprecationCommand({ ImageId: inputs.imageId, DeprecateAt: deprecateAt }),
    );
    await client.send(
      new ec2.EnableImageDeregistrationProtectionCommand({
        ImageId: inputs.imageId,
        WithCooldown: inputs.withCooldown,
      }),
    );
    return { id: inputs.imageId, outs: { ...inputs, deprecationTime: deprecateAt.toISOString() } };
  },

  async diff(_id: string, olds: ProtectionState, news: ProtectionState): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["imageId", "region"] as const).filter((k) => olds[k] !== news[k]);
    const changed =
      replaces.length > 0 ||
      olds.deprecateAfterDays !== news.deprecateAfterDays ||
      olds.withCooldown !== news.withCooldown;
    return { changes: changed, replaces, deleteBeforeReplace: false };
  },

  async update(
    id: string,
    _olds: ProtectionState,
    news: ProtectionState,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const result = await amiProtectionProvider.create!({ ...news, imageId: id });
    return { outs: result.outs };
  },

  async delete(id: string, props: ProtectionState): Promise<void> {
    const ec2 = await import("@aws-sdk/client-ec2");
    const client = new ec2.EC2Client({ region: props.region });
    try {
      await client.send(new ec2.DisableImageDeregistrationProtectionCommand({ ImageId: id }));
    } catch (err) {
      // An AMI that no longer exists has nothing left to protect.
      if ((err as { name?: string }).name !== "InvalidAMIID.NotFound") throw err;
    }
  },
};

/**
 * Deregistration protection and a deprecation time for one AMI we make: a Pulumi dynamic resource over
 * `@aws-sdk/client-ec2` (EnableImageDeregistrationProtection, EnableImageDeprecation).
 */
export class AmiProtection extends pulumi.dynamic.Resource {
  /** When the AMI is deprecated (ISO 8601). */
  declare readonly deprecationTime: pulumi.Output<string>;
  declare readonly imageId: pulumi.Output<string>;

  constructor(name: string, args: AmiProtectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      amiProtectionProvider,
      name,
      { ...args, deprecationTime: undefined },
      opts,
      "ami-guard",
      "AmiProtection",
    );
  }
}
