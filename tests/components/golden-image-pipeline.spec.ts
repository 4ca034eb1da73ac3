/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { GoldenImagePipeline, type GoldenImagePipelineArgs } from "../../components/golden-image-pipeline";
import { installMocks, MOCK_AMI_ID, promiseOf, settle, type Recorder } from "../helpers/mocks";

const KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-444444444444";
const base: GoldenImagePipelineArgs = {
  region: "us-east-1",
  partition: "aws",
  accountId: "111111111111",
  environment: "dev",
  parentImage: "arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x",
  recipeVersion: "1.2.3",
  components: ["update-linux", "aws-cli-version-2-linux"],
  rootDeviceName: "/dev/xvda",
  rootVolumeSizeGiB: 20,
  keyArn: KEY,
  instanceProfileName: "ami-guard-dev-builder-profile",
  instanceTypes: ["m7i.large"],
  sharing: {
    accountIds: ["222222222222"],
    organizationArns: ["arn:aws:organizations::111111111111:organization/o-exampleorgid"],
    organizationalUnitArns: ["arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456"],
  },
  approvedTag: "true",
  scheduleExpression: "cron(0 3 ? * sun *)",
  deprecateAfterDays: 14,
  tags: { ManagedBy: "ami-guard", Environment: "dev" },
};

describe("GoldenImagePipeline", function () {
  let rec: Recorder;
  let p: GoldenImagePipeline;
  const inputs = (type: string, name: string) => rec.one(type, name).inputs as Record<string, any>;
  before(async function () {
    rec = await installMocks();
    p = new GoldenImagePipeline("p", base);
    await settle(p.imageId, p.pipelineArn, p.deprecationTime);
  });

  it("declares exactly recipe, infrastructure, distribution, pipeline, image, protection and lifecycle", async function () {
    const urn = await promiseOf(p.urn);
    assert.deepEqual(
      rec.registrations
        .filter((r) => r.parent === urn)
        .map((r) => r.type)
        .sort(),
      [
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
        "aws:imagebuilder/image:Image",
        "aws:imagebuilder/imagePipeline:ImagePipeline",
        "aws:imagebuilder/imageRecipe:ImageRecipe",
        "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
        "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy",
        "pulumi-nodejs:dynamic/ami-guard:AmiProtection",
      ],
    );
  });

  it("builds on the trusted, always-latest parent with an encrypted root volume and AWS-managed components", function () {
    const recipe = inputs("aws:imagebuilder/imageRecipe:ImageRecipe", "p-recipe");
    assert.equal(recipe.parentImage, base.parentImage);
    assert.equal(recipe.version, "1.2.3");
    assert.deepEqual(
      recipe.components.map((c: { componentArn: string }) => c.componentArn),
      [
        "arn:aws:imagebuilder:us-east-1:aws:component/update-linux/x.x.x",
        "arn:aws:imagebuilder:us-east-1:aws:component/aws-cli-version-2-linux/x.x.x",
      ],
    );
    assert.deepEqual(recipe.blockDeviceMappings[0].ebs, {
      encrypted: "true",
      kmsKeyId: KEY,
      volumeType: "gp3",
      volumeSize: 20,
      deleteOnTermination: "true",
    });
    const infra = inputs(
      "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
      "p-infrastructure",
    );
    assert.deepEqual(infra.instanceMetadataOptions, { httpTokens: "required", httpPutResponseHopLimit: 1 });
    assert.equal(infra.instanceProfileName, "ami-guard-dev-builder-profile");
    assert.equal(infra.terminateInstanceOnFailure, true);
    assert.equal(infra.resourceTags.Environment, "dev");
    assert.equal(infra.resourceTags.AmiGuardBuild, "dev", "marks the build instances the builder may image");
  });

  it("distributes encrypted, tagged and shared only with the allow-list (never all)", function () {
    const dist = inputs(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "p-distribution",
    );
    assert.equal(dist.distributions.length, 1);
    const ami = dist.distributions[0].amiDistributionConfiguration;
    assert.equal(ami.kmsKeyId, KEY);
    assert.deepEqual(ami.amiTags, {
      Version: "1.2.3",
      Environment: "dev",
      Approved: "true",
      ManagedBy: "ami-guard",
    });
    assert.deepEqual(ami.launchPermission, {
      userIds: base.sharing.accountIds,
      organizationArns: base.sharing.organizationArns,
      organizationalUnitArns: base.sharing.organizationalUnitArns,
    });
    assert.match(ami.name, /\{\{ imagebuilder:buildDate \}\}/);
  });

  it("runs on the patch cadence with scanning and tests, and builds the stack's own image", async function () {
    const pipeline = inputs("aws:imagebuilder/imagePipeline:ImagePipeline", "p-pipeline");
    assert.deepEqual(pipeline.schedule, {
      scheduleExpression: "cron(0 3 ? * sun *)",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
      timezone: "Etc/UTC",
    });
    assert.equal(pipeline.status, "ENABLED");
    assert.deepEqual(pipeline.imageScanningConfiguration, { imageScanningEnabled: true });
    assert.equal(pipeline.imageTestsConfiguration.imageTestsEnabled, true);
    const image = inputs("aws:imagebuilder/image:Image", "p-image");
    assert.deepEqual(image.imageScanningConfiguration, { imageScanningEnabled: true });
    assert.equal(image.imageRecipeArn, pipeline.imageRecipeArn);
    assert.equal(image.distributionConfigurationArn, pipeline.distributionConfigurationArn);
    assert.equal(await promiseOf(p.imageId), MOCK_AMI_ID);
  });

  it("protects the image from deregistration, deprecates it after two cadences, and deprecates scheduled builds", async function () {
    const prot = inputs("pulumi-nodejs:dynamic/ami-guard:AmiProtection", "p-image-protection");
    assert.equal(prot.imageId, MOCK_AMI_ID);
    assert.equal(prot.region, "us-east-1");
    assert.equal(prot.deprecateAfterDays, 14);
    assert.equal(prot.withCooldown, true);
    assert.equal(await promiseOf(p.deprecationTime), "2025-01-15T00:00:00.000Z");
    const lc = inputs("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "p-lifecycle");
    assert.equal(lc.resourceType, "AMI_IMAGE");
    assert.deepEqual(lc.policyDetails, [
      { action: { type: "DEPRECATE" }, filter: { type: "AGE", value: 14, unit: "DAYS", retainAtLeast: 1 } },
    ]);
    assert.deepEqual(lc.resourceSelection, {
      recipes: [{ name: "ami-guard-dev", semanticVersion: "1.2.3" }],
    });
    assert.equal(
      inputs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "p-lifecycle-role-policy").policyArn,
      "arn:aws:iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy",
    );
    const trust = JSON.parse(inputs("aws:iam/role:Role", "p-lifecycle-role").assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:SourceAccount": "111111111111" },
      ArnLike: { "aws:SourceArn": "arn:aws:imagebuilder:us-east-1:111111111111:lifecycle-policy/*" },
    });
  });

  it("grants no launch permission at all when the allow-list is empty", async function () {
    const q = new GoldenImagePipeline("q", {
      ...base,
      environment: "solo",
      sharing: { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
    });
    await settle(q.imageId, q.deprecationTime);
    const dist = inputs(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "q-distribution",
    );
    assert.equal(dist.distributions[0].amiDistributionConfiguration.launchPermission, undefined);
  });
});
