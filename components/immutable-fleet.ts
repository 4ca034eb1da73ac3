import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { amiGuardName } from "./iam";

/** Arguments of {@link ImmutableFleet}. */
export interface ImmutableFleetArgs {
  /** Environment label (names and tags). */
  readonly environment: string;
  /** The environment's approved AMI: the pipeline's image, or an AMI id from stack config. */
  readonly imageId: pulumi.Input<string>;
  /** The AMI key: encrypts the fleet's volumes. */
  readonly keyArn: pulumi.Input<string>;
  readonly instanceType: string;
  readonly rootDeviceName: string;
  readonly rootVolumeSizeGiB: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity: number;
  /** Subnets of the fleet; when empty, `availabilityZones` (default VPC) are used. */
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  /** Security groups of the instances' network interface; empty means the VPC's default group. */
  readonly securityGroupIds: readonly string[];
  /** Instance refresh: healthy capacity kept while replacing instances, percent. */
  readonly minHealthyPercentage: number;
  /** Tags of every resource (propagated to instances and volumes). */
  readonly tags: Record<string, string>;
}

/**
 * The example immutable workload: a launch template (IMDSv2 required, encrypted volumes with the AMI key, no
 * public IP) and an Auto Scaling group with rolling instance refresh, so a new approved AMI rolls out by
 * replacement: a new image id makes a new launch template version, which refreshes the group.
 */
export class ImmutableFleet extends pulumi.ComponentResource {
  readonly launchTemplateId: pulumi.Output<string>;
  readonly autoScalingGroupName: pulumi.Output<string>;
  readonly imageId: pulumi.Output<string>;

  constructor(name: string, args: ImmutableFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:ImmutableFleet", name, {}, opts);
    const baseName = amiGuardName(args.environment, "fleet");

    const template = new aws.ec2.LaunchTemplate(
      `${name}-launch-template`,
      {
        name: baseName,
        description: "AMI Guard fleet: approved AMI, IMDSv2, encrypted volumes, no public IP",
        imageId: args.imageId,
        instanceType: args.instanceType,
        updateDefaultVersion: true,
        ebsOptimized: "true",
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "enabled",
        },
        blockDeviceMappings: [
          {
            deviceName: args.rootDeviceName,
            ebs: {
              encrypted: "true",
              kmsKeyId: args.keyArn,
              volumeType: "gp3",
              volumeSize: args.rootVolumeSizeGiB,
              deleteOnTermination: "true",
            },
          },
        ],
        networkInterfaces: [
          {
            deviceIndex: 0,
            associatePublicIpAddress: "false",
            deleteOnTermination: "true",
            ...(args.securityGroupIds.length ? { securityGroups: [...args.securityGroupIds] } : {}),
          },
        ],
        monitoring: { enabled: true },
        tagSpecifications: [
          { resourceType: "instance", tags: args.tags },
          { resourceType: "volume", tags: args.tags },
        ],
        tags: args.tags,
      },
      { parent: this },
    );

    const group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        name: baseName,
        minSize: args.minSize,
        maxSize: args.maxSize,
        desiredCapacity: args.desiredCapacity,
        ...(args.subnetIds.length
          ? { vpcZoneIdentifiers: [...args.subnetIds] }
          : { availabilityZones: [...args.availabilityZones] }),
        launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        instanceRefresh: {
          strategy: "Rolling",
          preferences: {
            minHealthyPercentage: args.minHealthyPercentage,
            autoRollback: true,
            skipMatching: true,
          },
          triggers: ["tag"],
        },
        tags: Object.entries(args.tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      { parent: this },
    );

    this.launchTemplateId = template.id;
    this.autoScalingGroupName = group.name;
    this.imageId = template.imageId.apply((id) => id ?? "");
    this.registerOutputs({
      launchTemplateId: this.launchTemplateId,
      autoScalingGroupName: this.autoScalingGroupName,
      imageId: this.imageId,
    });
  }
}
