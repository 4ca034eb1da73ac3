/** The audit's AWS calls against aws-sdk-client-mock: request shapes, pagination, batching, bounds, failures. */
import { strict as assert } from "node:assert";
import { mockClient } from "aws-sdk-client-mock";
import {
  DescribeFleetsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSpotFleetRequestsCommand,
  EC2Client,
  GetAllowedImagesSettingsCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  GetImageBlockPublicAccessStateCommand,
  GetSnapshotBlockPublicAccessStateCommand,
  type DescribeImagesCommandInput,
  type Image,
} from "@aws-sdk/client-ec2";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { BatchGetAccountStatusCommand, Inspector2Client } from "@aws-sdk/client-inspector2";
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from "@aws-sdk/client-cloudtrail";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { runAudit } from "../../src/audit/audit";
import { RULES } from "../../policy-pack/rules/rules";
import { sdkEnv, testOptions } from "./support";

const ACCOUNT = "111111111111";
const image = (n: number, over: Partial<Image> = {}): Image => ({
  ImageId: `ami-${n.toString(16).padStart(17, "0")}`,
  OwnerId: ACCOUNT,
  State: "available" as Image["State"],
  Public: false,
  CreationDate: "2025-05-20T00:00:00.000Z",
  BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: `snap-${n}`, Encrypted: true } }],
  Tags: [
    { Key: "Version", Value: "1" },
    { Key: "Environment", Value: "prod" },
    { Key: "Approved", Value: "true" },
  ],
  ...over,
});

/** Inspector's BatchGetAccountStatus answer for this account, its EC2 scanning `status`. */
const inspectorEc2 = (status: "ENABLED" | "DISABLED") => ({
  accounts: [
    {
      accountId: ACCOUNT,
      state: undefined,
      resourceState: { ec2: { status, errorCode: undefined, errorMessage: undefined }, ecr: undefined },
    },
  ],
});

/** DescribeTrails answering one multi-Region trail with log file validation: `name` of `account`, home `region`. */
const oneTrail = (name: string, region: string, account: string) => ({
  trailList: [
    {
      Name: name,
      TrailARN: `arn:aws:cloudtrail:${region}:${account}:trail/${name}`,
      HomeRegion: region,
      IsMultiRegionTrail: true,
      LogFileValidationEnabled: true,
    },
  ],
});

describe("audit AWS calls (aws-sdk-client-mock)", function () {
  // Made in before(), not at load: mocking at load would stub the SDK for every spec file in the process.
  const mocks = () => ({
    ec2: mockClient(EC2Client),
    sts: mockClient(STSClient),
    inspector: mockClient(Inspector2Client),
    trail: mockClient(CloudTrailClient),
    autoscaling: mockClient(AutoScalingClient),
  });
  let ec2: ReturnType<typeof mocks>["ec2"];
  let sts: ReturnType<typeof mocks>["sts"];
  let inspector: ReturnType<typeof mocks>["inspector"];
  let trail: ReturnType<typeof mocks>["trail"];
  let autoscaling: ReturnType<typeof mocks>["autoscaling"];
  let restore: () => void;

  before(() => {
    ({ ec2, sts, inspector, trail, autoscaling } = mocks());
  });

  beforeEach(() => {
    restore = sdkEnv({});
    for (const m of [ec2, sts, inspector, trail, autoscaling]) m.reset();
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    ec2.on(DescribeSpotFleetRequestsCommand).resolves({ SpotFleetRequestConfigs: [] });
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [] });
    ec2.on(GetEbsEncryptionByDefaultCommand).resolves({ EbsEncryptionByDefault: true });
    ec2.on(GetEbsDefaultKmsKeyIdCommand).resolves({ KmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" });
    ec2
      .on(GetImageBlockPublicAccessStateCommand)
      .resolves({ ImageBlockPublicAccessState: "block-new-sharing" });
    ec2.on(GetSnapshotBlockPublicAccessStateCommand).resolves({ State: "block-all-sharing" });
    ec2.on(GetAllowedImagesSettingsCommand).resolves({ State: "enabled", ImageCriteria: [{}] });
    inspector.on(BatchGetAccountStatusCommand).resolves(inspectorEc2("ENABLED"));
    trail.on(DescribeTrailsCommand).resolves(oneTrail("main", "us-east-1", ACCOUNT));
    trail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trail
      .on(GetEventSelectorsCommand)
      .resolves({ EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] });
  });
  afterEach(() => restore());
  after(() => {
    for (const m of [ec2, sts, inspector, trail, autoscaling]) m.restore();
  });

  it("lists owned images with Owners=self page by page, following NextToken", async () => {
    const pages = [
      Array.from({ length: 3 }, (_, i) => image(i)),
      Array.from({ length: 3 }, (_, i) => image(i + 3)),
      [image(6)],
    ];
    ec2
      .on(DescribeImagesCommand, { Owners: ["self"] })
      .resolvesOnce({ Images: pages[0], NextToken: "t1" })
      .resolvesOnce({ Images: pages[1], NextToken: "t2" })
      .resolvesOnce({ Images: pages[2] });
    const report = await runAudit(testOptions());
    const calls = ec2
      .commandCalls(DescribeImagesCommand)
      .map((c) => c.args[0].input as DescribeImagesCommandInput);
    const owned = calls.filter((i) => i.Owners);
    assert.deepEqual(
      owned.map((i) => i.NextToken),
      [undefined, "t1", "t2"],
    );
    for (const i of owned) {
      assert.deepEqual(i.Owners, ["self"]);
      assert.equal(i.MaxResults, 1000);
      assert.equal(i.IncludeDeprecated, true);
      assert.equal(i.IncludeDisabled, true, "disabled images are listed too");
    }
    assert.equal(report.summary.imagesScanned, 7);
    assert.equal(
      ec2.commandCalls(DescribeImageAttributeCommand).length,
      7,
      "one launchPermission read per owned image",
    );
    assert.deepEqual(ec2.commandCalls(DescribeImageAttributeCommand)[0].args[0].input, {
      ImageId: image(0).ImageId,
      Attribute: "launchPermission",
    });
    assert.equal(report.summary.complete, true);
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      [RULES.untrusted].flatMap(() => Array(7).fill(RULES.untrusted)),
    );
  });

  it("bounds the per-image DescribeImageAttribute calls in flight", async () => {
    ec2
      .on(DescribeImagesCommand, { Owners: ["self"] })
      .resolves({ Images: Array.from({ length: 60 }, (_, i) => image(i)) });
    let inFlight = 0;
    let peak = 0;
    ec2.on(DescribeImageAttributeCommand).callsFake(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return { LaunchPermissions: [{ UserId: "999999999999" }] };
    });
    const report = await runAudit(testOptions({ concurrency: 5 }));
    assert.equal(ec2.commandCalls(DescribeImageAttributeCommand).length, 60);
    assert.equal(peak, 5);
    assert.equal(report.findings.filter((f) => f.rule === RULES.shared).length, 60);
  });

  it("asks for instances in use and the default and latest launch template versions, and batches the images they use", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => image(1000 + i).ImageId);
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          { Instances: ids.slice(0, 200).map((id, i) => ({ InstanceId: `i-${i}`, ImageId: id })) },
        ],
        NextToken: "n",
      })
      .resolvesOnce({
        Reservations: [
          { Instances: ids.slice(200).map((id, i) => ({ InstanceId: `i-x${i}`, ImageId: id })) },
        ],
      });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        {
          LaunchTemplateId: "lt-1",
          LaunchTemplateName: "web",
          VersionNumber: 4,
          LaunchTemplateData: { ImageId: ids[0] },
        },
        {
          LaunchTemplateId: "lt-2",
          VersionNumber: 1,
          LaunchTemplateData: { ImageId: "resolve:ssm:/golden/ami" },
        },
      ],
    });
    ec2.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => {
      if (input.Owners) return { Images: [] };
      return {
        Images: (input.ImageIds ?? []).map((id) => ({
          ...image(0),
          ImageId: id,
          OwnerId: "137112412989",
          ImageOwnerAlias: "amazon",
        })),
      };
    });
    // EC2 left one template's image as a parameter reference: the audit resolves it through SSM.
    const ssm = mockClient(SSMClient);
    ssm.on(GetParametersCommand).resolves({
      Parameters: [{ Name: "/golden/ami", Value: ids[0], Version: 1 }],
      InvalidParameters: [],
    });
    let report: Awaited<ReturnType<typeof runAudit>>;
    try {
      report = await runAudit(testOptions());
      assert.deepEqual(ssm.commandCalls(GetParametersCommand)[0].args[0].input.Names, ["/golden/ami"]);
    } finally {
      ssm.restore();
    }
    const inst = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    assert.deepEqual(inst[0].Filters, [
      { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
    ]);
    assert.deepEqual(
      inst.map((i) => i.NextToken),
      [undefined, "n"],
    );
    const lt = ec2.commandCalls(DescribeLaunchTemplateVersionsCommand)[0].args[0].input;
    assert.deepEqual(lt.Versions, ["$Default", "$Latest"]);
    assert.equal(lt.ResolveAlias, true);
    assert.equal(lt.LaunchTemplateId, undefined, "one call covers every template");
    const byId = ec2
      .commandCalls(DescribeImagesCommand)
      .map((c) => c.args[0].input as DescribeImagesCommandInput)
      .filter((i) => i.ImageIds);
    assert.deepEqual(
      byId.map((i) => i.ImageIds!.length),
      [100, 100, 50],
      "cost grows with batches, not one call per image",
    );
    assert.ok(byId.every((i) => i.IncludeDeprecated && i.IncludeDisabled));
    assert.equal(report.summary.imagesInUse, 250);
    assert.equal(report.summary.instancesScanned, 250);
    assert.equal(
      report.summary.launchTemplateVersionsScanned,
      2,
      "an SSM alias EC2 left unresolved is resolved and judged, not dropped",
    );
    // Resolved, the version was judged: nothing is left unread.
    assert.equal(report.summary.complete, true, JSON.stringify(report.summary.errors));
  });

  it("splits a by-id batch on InvalidAMIID.NotFound and reports the missing image with its users", async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            { InstanceId: "i-1", ImageId: "ami-0000000000000000a" },
            { InstanceId: "i-2", ImageId: "ami-0000000000000000b" },
          ],
        },
      ],
    });
    ec2.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => {
      if (input.Owners) return { Images: [] };
      if (input.ImageIds!.includes("ami-0000000000000000b")) {
        throw Object.assign(new Error("The image id '[ami-0000000000000000b]' does not exist"), {
          name: "InvalidAMIID.NotFound",
          $metadata: {},
        });
      }
      return {
        Images: input.ImageIds!.map((id) => ({
          ...image(0),
          ImageId: id,
          OwnerId: "137112412989",
          ImageOwnerAlias: "amazon",
        })),
      };
    });
    const report = await runAudit(testOptions());
    assert.equal(report.summary.complete, true);
    const missing = report.findings.filter((f) => f.rule === RULES.missing);
    assert.deepEqual(
      missing.map((f) => [f.imageId, f.usedBy]),
      [["ami-0000000000000000b", ["i-2"]]],
    );
  });

  it("marks the report incomplete, naming the call, when a read is denied", async () => {
    ec2.on(GetSnapshotBlockPublicAccessStateCommand).rejects(
      Object.assign(new Error("You are not authorized to perform this operation."), {
        name: "UnauthorizedOperation",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    ec2.on(DescribeImagesCommand, { Owners: ["self"] }).resolves({ Images: [image(1), image(2)] });
    ec2
      .on(DescribeImageAttributeCommand)
      .rejects(
        Object.assign(new Error("denied"), { name: "AuthFailure", $metadata: { httpStatusCode: 401 } }),
      );
    const report = await runAudit(testOptions());
    assert.equal(report.summary.complete, false);
    assert.deepEqual(
      report.summary.errors.map((e) => [e.step, e.region, e.cause]),
      [
        [
          "ec2:GetSnapshotBlockPublicAccessState",
          "us-east-1",
          "UnauthorizedOperation (HTTP 403): You are not authorized to perform this operation.",
        ],
        [
          "ec2:DescribeImageAttribute launchPermission (2 of 2 images)",
          "us-east-1",
          `${image(1).ImageId}: AuthFailure (HTTP 401): denied`,
        ],
      ],
    );
  });

  it("refuses a NextToken that does not advance instead of looping", async () => {
    ec2.on(DescribeImagesCommand, { Owners: ["self"] }).resolves({ Images: [image(1)], NextToken: "same" });
    const report = await runAudit(testOptions());
    assert.equal(report.summary.complete, false);
    assert.match(report.summary.errors[0].cause, /PaginationLoop.*repeated NextToken same/);
    assert.ok(ec2.commandCalls(DescribeImagesCommand).length <= 3);
  });

  it("reads each trail's event selectors in its home region: a trail recording only read events is not working", async () => {
    trail.on(DescribeTrailsCommand).resolves(oneTrail("org", "eu-west-1", "999999999999"));
    trail.on(GetEventSelectorsCommand).resolves({
      EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }],
    });
    const report = await runAudit(testOptions());
    const call = trail.commandCalls(GetEventSelectorsCommand)[0];
    assert.equal(call.args[0].input.TrailName, "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org");
    assert.equal(await (call.thisValue as CloudTrailClient).config.region(), "eu-west-1");
    const f = report.findings.find((x) => x.rule === "ec2-account-require-cloudtrail");
    assert.ok(f);
    assert.equal(f.severity, "high");
    assert.match(f.message, /org records only read events/);
  });

  it("makes the audit partial, not clean, when a trail's event selectors cannot be read", async () => {
    trail
      .on(GetEventSelectorsCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const report = await runAudit(testOptions());
    assert.equal(report.summary.complete, false);
    assert.ok(
      report.summary.errors.some((e) => /GetEventSelectors/.test(e.step)),
      JSON.stringify(report.summary.errors),
    );
    assert.ok(!report.findings.some((x) => x.rule === "ec2-account-require-cloudtrail"));
  });

  it("reads Inspector's EC2 status and the trail status in the trail's home region", async () => {
    inspector.on(BatchGetAccountStatusCommand).resolves(inspectorEc2("DISABLED"));
    trail.on(DescribeTrailsCommand).resolves(oneTrail("org", "eu-west-1", "999999999999"));
    trail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    const report = await runAudit(testOptions());
    assert.deepEqual(inspector.commandCalls(BatchGetAccountStatusCommand)[0].args[0].input, {
      accountIds: [ACCOUNT],
    });
    assert.deepEqual(trail.commandCalls(DescribeTrailsCommand)[0].args[0].input, {
      includeShadowTrails: true,
    });
    const status = trail.commandCalls(GetTrailStatusCommand)[0];
    assert.equal(status.args[0].input.Name, "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org");
    assert.equal(await (status.thisValue as CloudTrailClient).config.region(), "eu-west-1");
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.severity]),
      [
        ["ec2-account-require-cloudtrail", "high"],
        ["ec2-account-require-inspector-scanning", "medium"],
      ],
    );
  });
});
