import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AmiProtection } from "./ami-protection";
import {
  amiGuardName,
  arn,
  BUILD_INSTANCE_TAG,
  imageBuilderLifecycleTrustPolicy,
  MANAGED_BY,
  type SharingTargets,
} from "./iam";

/** Arguments of {@link GoldenImagePipeline}. */
export interface GoldenImagePipelineArgs {
  /** Region the AMIs are built and distributed in. */
  readonly region: string;
  /** AWS partition (component and policy ARNs). */
  readonly partition: pulumi.Input<string>;
  /** This account's id: the lifecycle role trusts Image Builder only for this account's lifecycle policies. */
  readonly accountId: pulumi.Input<string>;
  /** Environment label: the AMI `Environment` tag and resource names. */
  readonly environment: string;
  /** Trusted parent: an Image Builder managed image ARN owned by `aws` with a version wildcard (`…/x.x.x`). */
  readonly parentImage: string;
  /** Recipe semantic version; also the AMI `Version` tag. */
  readonly recipeVersion: string;
  /** AWS-managed Image Builder components the recipe runs (e.g. `update-linux`). */
  readonly components: readonly string[];
  /** Root device name and size (GiB) of the images built. */
  readonly rootDeviceName: string;
  readonly rootVolumeSizeGiB: number;
  /** The AMI key: encrypts the build volume and the distributed AMI. */
  readonly keyArn: pulumi.Input<string>;
  /** Instance profile of the builder role (the build instance's identity). */
  readonly instanceProfileName: pulumi.Input<string>;
  /** Instance types Image Builder may build on. */
  readonly instanceTypes: readonly string[];
  /** Sharing allow-list: the distributed AMI's launch permissions (nothing else, never `all`). */
  readonly sharing: SharingTargets;
  /** Value of the AMI `Approved` tag. */
  readonly approvedTag: "true" | "false";
  /** Image Builder schedule (cron) derived from the patch cadence. */
  readonly scheduleExpression: string;
  /** Days after creation at which AMIs we make are deprecated. */
  readonly deprecateAfterDays: number;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The golden image pipeline (EC2 Image Builder): a recipe on a trusted, always-latest AWS parent image with an
 * encrypted root volume; an infrastructure configuration requiring IMDSv2 and using the builder role; a
 * distribution that encrypts with the AMI key, tags Version/Environment/Approved and grants launch only to the
 * allow-list; a scheduled pipeline on the patch cadence with image scanning and tests; the stack's own image
 * built from it (the fleet's default AMI), protected from deregistration and deprecated on schedule; and a
 * lifecycle policy deprecating the scheduled builds after the same age.
 */
export class GoldenImagePipeline extends pulumi.ComponentResource {
  readonly imageId: pulumi.Output<string>;
  readonly imageArn: pulumi.Output<string>;
  readonly pipelineArn: pulumi.Output<string>;
  readonly recipeArn: pulumi.Output<string>;
  readonly distributionConfigurationArn: pulumi.Output<string>;
  readonly deprecationTime: pulumi.Output<string>;

  constructor(name: string, args: GoldenImagePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:GoldenImagePipeline", name, {}, opts);
    const partition = pulumi.output(args.partition);
    const baseName = amiGuardName(args.environment);

    const recipe = new aws.imagebuilder.ImageRecipe(
      `${name}-recipe`,
      {
        name: baseName,
        version: args.recipeVersion,
        description: `AMI Guard golden image (${args.environment}) on ${args.parentImage}`,
        parentImage: args.parentImage,
        components: args.components.map((c) => ({
          componentArn: partition.apply((p) =>
            arn(p, "imagebuilder", args.region, "aws", `component/${c}/x.x.x`),
          ),
        })),
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
        tags: args.tags,
      },
      { parent: this },
    );

    const infrastructure = new aws.imagebuilder.InfrastructureConfiguration(
      `${name}-infrastructure`,
      {
        name: baseName,
        description: "AMI Guard build hosts: IMDSv2 only, builder role, terminated on failure",
        instanceProfileName: args.instanceProfileName,
        instanceTypes: [...args.instanceTypes],
        instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        terminateInstanceOnFailure: true,
        // BUILD_INSTANCE_TAG marks the instances Image Builder launches: the builder may make images only
        // from those, and only Image Builder may write the tag (role boundary and SCP).
        resourceTags: { ...args.tags, Environment: args.environment, [BUILD_INSTANCE_TAG]: args.environment },
        tags: args.tags,
      },
      { parent: this },
    );

    const hasSharing =
      args.sharing.accountIds.length +
        args.sharing.organizationArns.length +
        args.sharing.organizationalUnitArns.length >
      0;
    const distribution = new aws.imagebuilder.DistributionConfiguration(
      `${name}-distribution`,
      {
        name: baseName,
        description:
          "AMI Guard distribution: encrypted with the AMI key, tagged, shared only with the allow-list",
        distributions: [
          {
            region: args.region,
            amiDistributionConfiguration: {
              name: `${baseName}-{{ imagebuilder:buildDate }}`,
              description: `AMI Guard golden image ${args.recipeVersion} (${args.environment})`,
              kmsKeyId: args.keyArn,
              amiTags: {
                Version: args.recipeVersion,
                Environment: args.environment,
                Approved: args.approvedTag,
                ManagedBy: MANAGED_BY,
              },
              ...(hasSharing
                ? {
                    launchPermission: {
                      ...(args.sharing.accountIds.length ? { userIds: [...args.sharing.accountIds] } : {}),
                      ...(args.sharing.organizationArns.length
                        ? { organizationArns: [...args.sharing.organizationArns] }
                        : {}),
                      ...(args.sharing.organizationalUnitArns.length
                        ? { organizationalUnitArns: [...args.sharing.organizationalUnitArns] }
                        : {}),
                    },
                  }
                : {}),
            },
          },
        ],
        tags: args.tags,
      },
      { parent: this },
    );

    const scanning = { imageScanningEnabled: true };
    const tests = { imageTestsEnabled: true, timeoutMinutes: 720 };
    const pipeline = new aws.imagebuilder.ImagePipeline(
      `${name}-pipeline`,
      {
        name: baseName,
        description: "AMI Guard golden image pipeline on the patch cadence",
        imageRecipeArn: recipe.arn,
        infrastructureConfigurationArn: infrastructure.arn,
        distributionConfigurationArn: distribution.arn,
        schedule: {
          scheduleExpression: args.scheduleExpression,
          pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
          timezone: "Etc/UTC",
        },
        imageScanningConfiguration: scanning,
        imageTestsConfiguration: tests,
        enhancedImageMetadataEnabled: true,
        status: "ENABLED",
        tags: args.tags,
      },
      { parent: this },
    );

    const image = new aws.imagebuilder.Image(
      `${name}-image`,
      {
        imageRecipeArn: recipe.arn,
        infrastructureConfigurationArn: infrastructure.arn,
        distributionConfigurationArn: distribution.arn,
        imageScanningConfiguration: scanning,
        imageTestsConfiguration: tests,
        enhancedImageMetadataEnabled: true,
        tags: args.tags,
      },
      { parent: this },
    );
    const imageId = image.outputResources.apply((resources) => {
      const ami =
        resources.flatMap((r) => r.amis).find((a) => a.region === args.region) ?? resources[0]?.amis[0];
      if (!ami) throw new Error(`${name}: Image Builder produced no AMI in ${args.region}`);
      return ami.image;
    });

    const protection = new AmiProtection(
      `${name}-image-protection`,
      { imageId, region: args.region, deprecateAfterDays: args.deprecateAfterDays, withCooldown: true },
      { parent: this },
    );

    const lifecycleRole = new aws.iam.Role(
      `${name}-lifecycle-role`,
      {
        name: `${baseName}-image-lifecycle`,
        description: "Image Builder lifecycle execution (deprecates old AMI Guard images)",
        assumeRolePolicy: pulumi.all([partition, args.accountId]).apply(([p, accountId]) =>
          JSON.stringify(
            imageBuilderLifecycleTrustPolicy({
              partition: p,
              accountId,
              region: args.region,
              environment: args.environment,
            }),
          ),
        ),
        tags: args.tags,
      },
      { parent: this },
    );
    const lifecycleAttachment = new aws.iam.RolePolicyAttachment(
      `${name}-lifecycle-role-policy`,
      {
        role: lifecycleRole.name,
        policyArn: partition.apply((p) =>
          arn(p, "iam", "", "aws", "policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy"),
        ),
      },
      { parent: this },
    );
    new aws.imagebuilder.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        name: `${baseName}-deprecate`,
        description: "Deprecate AMI Guard images two patch cadences after creation (the newest is kept)",
        executionRole: lifecycleRole.arn,
        resourceType: "AMI_IMAGE",
        status: "ENABLED",
        policyDetails: [
          {
            action: { type: "DEPRECATE" },
            filter: { type: "AGE", value: args.deprecateAfterDays, unit: "DAYS", retainAtLeast: 1 },
          },
        ],
        resourceSelection: { recipes: [{ name: baseName, semanticVersion: args.recipeVersion }] },
        tags: args.tags,
      },
      { parent: this, dependsOn: [lifecycleAttachment, recipe] },
    );

    this.imageId = imageId;
    this.imageArn = image.arn;
    this.pipelineArn = pipeline.arn;
    this.recipeArn = recipe.arn;
    this.distributionConfigurationArn = distribution.arn;
    this.deprecationTime = protection.deprecationTime;
    this.registerOutputs({
      imageId: this.imageId,
      imageArn: this.imageArn,
      pipelineArn: this.pipelineArn,
      recipeArn: this.recipeArn,
      distributionConfigurationArn: this.distributionConfigurationArn,
      deprecationTime: this.deprecationTime,
    });
  }
}
