/**
 * The composed program under mocks, for one shipped stack: loads Pulumi.yaml defaults + the stack file,
 * installs mocks, runs index.ts and returns the recorder and the program's exports. One stack per spec file.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { cadenceToCron } from "../../config";
import {
  installMocks,
  loadStackConfig,
  MOCK_AMI_ID,
  MOCK_IMAGE_CREATED,
  settle,
  type Recorder,
} from "../helpers/mocks";
import { assertIamSnapshot } from "./iam-documents";

export interface ProgramRun {
  readonly recorder: Recorder;
  readonly config: Record<string, string>;
  readonly outputs: Record<string, unknown>;
}

export async function runProgram(stack: string, accountId: string, stackFile?: string): Promise<ProgramRun> {
  const config = loadStackConfig(stack, undefined, stackFile);
  const recorder = await installMocks({ config, stack, accountId });
  const modulePath = require.resolve("../../index");
  delete require.cache[modulePath];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(modulePath) as Record<string, pulumi.Input<unknown> | undefined>;
  const outputs: Record<string, unknown> = {};
  await Promise.all(
    Object.entries(program).map(
      ([k, v]) =>
        new Promise<void>((resolve) => {
          if (v === undefined) {
            outputs[k] = undefined;
            resolve();
            return;
          }
          pulumi.output(v).apply((value) => {
            outputs[k] = value;
            resolve();
          });
        }),
    ),
  );
  await settle();
  return { recorder, config, outputs };
}

/** Base resource counts shared by every shipped stack (custom resources only). */
export const BASE_COUNTS: Record<string, number> = {
  "aws:autoscaling/group:Group": 1,
  "aws:cloudtrail/trail:Trail": 1,
  "aws:cloudwatch/eventRule:EventRule": 2,
  "aws:cloudwatch/eventTarget:EventTarget": 2,
  "aws:cloudwatch/logGroup:LogGroup": 2,
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": 26,
  "aws:cloudwatch/metricAlarm:MetricAlarm": 21,
  "aws:ebs/defaultKmsKey:DefaultKmsKey": 1,
  "aws:ebs/encryptionByDefault:EncryptionByDefault": 1,
  "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": 1,
  "aws:ec2/allowedImagesSettings:AllowedImagesSettings": 1,
  "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": 1,
  "aws:ec2/launchTemplate:LaunchTemplate": 1,
  "aws:iam/instanceProfile:InstanceProfile": 1,
  "aws:iam/policy:Policy": 2,
  "aws:iam/role:Role": 7,
  "aws:iam/rolePolicy:RolePolicy": 6,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": 1,
  "aws:imagebuilder/image:Image": 1,
  "aws:imagebuilder/imagePipeline:ImagePipeline": 1,
  "aws:imagebuilder/imageRecipe:ImageRecipe": 1,
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": 1,
  "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy": 1,
  "aws:inspector2/enabler:Enabler": 1,
  "aws:kms/alias:Alias": 2,
  "aws:kms/grant:Grant": 2,
  "aws:kms/key:Key": 2,
  "aws:lambda/function:Function": 1,
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 1,
  "aws:lambda/permission:Permission": 2,
  "aws:rbin/rule:Rule": 2,
  "aws:s3/bucket:Bucket": 1,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
  "aws:s3/bucketPolicy:BucketPolicy": 1,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
  "aws:s3/bucketVersioning:BucketVersioning": 1,
  "aws:sns/topic:Topic": 1,
  "aws:sns/topicPolicy:TopicPolicy": 1,
  "aws:sqs/queue:Queue": 1,
  "aws:sqs/queuePolicy:QueuePolicy": 1,
  "pulumi-nodejs:dynamic/ami-guard:AmiProtection": 1,
};

export const COMPONENT_TYPES = [
  "ami-guard:components:AccountGuardrails",
  "ami-guard:components:AmiActivityAlarms",
  "ami-guard:components:AmiAuditor",
  "ami-guard:components:AmiEncryptionKey",
  "ami-guard:components:AmiIamRoles",
  "ami-guard:components:AmiScanning",
  "ami-guard:components:AuditTrail",
  "ami-guard:components:GoldenImagePipeline",
  "ami-guard:components:ImmutableFleet",
];

/** Parses a JSON policy input. */
export function policyOf(value: unknown): { Statement: Array<Record<string, unknown>> } {
  if (typeof value !== "string") throw new Error(`policy is not a JSON string: ${String(value)}`);
  return JSON.parse(value) as { Statement: Array<Record<string, unknown>> };
}

/** What a shipped stack must produce, from its stack file. */
export interface StackExpectations {
  readonly stack: string;
  readonly accountId: string;
  readonly region: string;
  readonly environment: string;
  /** Counts beyond BASE_COUNTS (e.g. subscriptions, SCP). */
  readonly extraCounts: Record<string, number>;
}

const list = (config: Record<string, string>, key: string): string[] =>
  JSON.parse(config[`ami-guard:${key}`]) as string[];
const num = (config: Record<string, string>, key: string): number => Number(config[`ami-guard:${key}`]);

/** Registers the invariant tests every shipped stack must pass. */
export function describeShippedStack(x: StackExpectations): void {
  describe(`stack ${x.stack}: composed program under mocks`, function () {
    let run: ProgramRun;
    let c: Record<string, string>;
    before(async function () {
      run = await runProgram(x.stack, x.accountId);
      c = run.config;
    });
    const r = () => run.recorder;

    it("declares exactly the expected resources, by type", function () {
      const expected = { ...BASE_COUNTS };
      for (const [t, n] of Object.entries(x.extraCounts)) expected[t] = (expected[t] ?? 0) + n;
      if (c["ami-guard:auditorEnableSecurityHub"] === "true") expected["aws:securityhub/account:Account"] = 1;
      const sorted = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b)));
      assert.deepEqual(r().countsByType({ custom: true }), sorted);
      const components = r().countsByType({ custom: false });
      for (const t of COMPONENT_TYPES) assert.equal(components[t], 1, t);
    });

    it("places every resource under a component, named after it, with no ignoreChanges or default providers", function () {
      const components = r().registrations.filter((reg) => !reg.custom);
      const byUrn = new Map(components.map((reg) => [reg.urn, reg]));
      for (const reg of r().registrations.filter((reg) => reg.custom)) {
        const parent = byUrn.get(reg.parent);
        if (!parent)
          throw new assert.AssertionError({ message: `${reg.type} ${reg.name} has no component parent` });
        assert.ok(reg.name.startsWith(`${parent.name}-`), `${reg.name} not named after ${parent.name}`);
        assert.deepEqual(reg.ignoreChanges, [], `${reg.name} ignores changes`);
      }
      assert.deepEqual([...new Set(r().calls)].sort(), [
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
      ]);
    });

    it("runs the fleet on the image its own pipeline builds, with IMDSv2, encrypted volumes and no public IP", function () {
      assert.equal(c["ami-guard:fleetAmi"], "pipeline");
      const lt = r().one("aws:ec2/launchTemplate:LaunchTemplate").inputs as Record<string, any>;
      assert.equal(lt.imageId, MOCK_AMI_ID);
      assert.equal(run.outputs.goldenImageId, MOCK_AMI_ID);
      assert.equal(run.outputs.fleetImageId, MOCK_AMI_ID);
      assert.equal(lt.metadataOptions.httpTokens, "required");
      assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
      assert.equal(lt.blockDeviceMappings[0].ebs.kmsKeyId, run.outputs.amiKeyArn);
      assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "false");
      assert.equal(lt.instanceType, c["ami-guard:fleetInstanceType"]);
      const asg = r().one("aws:autoscaling/group:Group").inputs as Record<string, any>;
      assert.equal(asg.minSize, num(c, "fleetMinSize"));
      assert.equal(asg.maxSize, num(c, "fleetMaxSize"));
      assert.equal(asg.desiredCapacity, num(c, "fleetDesiredCapacity"));
      assert.deepEqual(asg.availabilityZones, list(c, "fleetAvailabilityZones"));
      assert.equal(asg.instanceRefresh.strategy, "Rolling");
      assert.equal(asg.instanceRefresh.preferences.minHealthyPercentage, num(c, "fleetMinHealthyPercentage"));
      assert.equal(asg.launchTemplate.id, "lt-0123456789abcdef0");
    });

    it("builds on the configured AWS-owned parent, encrypts, tags and shares only with the allow-list", function () {
      const recipe = r().one("aws:imagebuilder/imageRecipe:ImageRecipe").inputs as Record<string, any>;
      assert.equal(recipe.parentImage, c["ami-guard:parentImage"]);
      assert.match(
        recipe.parentImage,
        new RegExp(`^arn:aws:imagebuilder:${x.region}:aws:image/[a-z0-9-]+/x\\.x\\.x$`),
      );
      assert.equal(recipe.blockDeviceMappings[0].ebs.kmsKeyId, run.outputs.amiKeyArn);
      const dist = r().one("aws:imagebuilder/distributionConfiguration:DistributionConfiguration")
        .inputs as Record<string, any>;
      assert.equal(dist.distributions.length, 1);
      const ami = dist.distributions[0].amiDistributionConfiguration;
      assert.equal(dist.distributions[0].region, x.region);
      assert.equal(ami.kmsKeyId, run.outputs.amiKeyArn);
      assert.deepEqual(ami.amiTags, {
        Version: c["ami-guard:recipeVersion"],
        Environment: x.environment,
        Approved: c["ami-guard:amiApprovedTag"],
        ManagedBy: "ami-guard",
      });
      const lp = ami.launchPermission ?? {};
      assert.equal(lp.userGroups, undefined);
      assert.deepEqual(lp.userIds ?? [], list(c, "sharingAccountIds"));
      assert.deepEqual(lp.organizationArns ?? [], list(c, "sharingOrganizationArns"));
      assert.deepEqual(lp.organizationalUnitArns ?? [], list(c, "sharingOrganizationalUnitArns"));
      const infra = r().one("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration")
        .inputs as Record<string, any>;
      assert.equal(infra.instanceMetadataOptions.httpTokens, "required");
      assert.equal(infra.instanceProfileName, `ami-guard-${x.environment}-builder-profile`);
      const pipeline = r().one("aws:imagebuilder/imagePipeline:ImagePipeline").inputs as Record<string, any>;
      assert.equal(pipeline.schedule.scheduleExpression, cadenceToCron(num(c, "patchCadenceDays")));
      assert.equal(pipeline.imageScanningConfiguration.imageScanningEnabled, true);
      const image = r().one("aws:imagebuilder/image:Image").inputs as Record<string, any>;
      assert.equal(image.imageScanningConfiguration.imageScanningEnabled, true);
      const protection = r().one("pulumi-nodejs:dynamic/ami-guard:AmiProtection").inputs as Record<
        string,
        any
      >;
      assert.equal(protection.imageId, MOCK_AMI_ID);
      assert.equal(protection.deprecateAfterDays, 2 * num(c, "patchCadenceDays"));
      assert.equal(
        run.outputs.goldenImageDeprecationTime,
        new Date(Date.parse(MOCK_IMAGE_CREATED) + 2 * num(c, "patchCadenceDays") * 86_400_000).toISOString(),
      );
    });

    it("sets the account guardrails from the stack file", function () {
      assert.equal(
        r().one("aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess").inputs.state,
        "block-new-sharing",
      );
      const allowed = r().one("aws:ec2/allowedImagesSettings:AllowedImagesSettings").inputs as Record<
        string,
        any
      >;
      assert.equal(allowed.state, c["ami-guard:allowedImagesState"]);
      assert.equal(run.outputs.allowedImagesState, c["ami-guard:allowedImagesState"]);
      assert.deepEqual(
        [...allowed.imageCriterions[0].imageProviders].sort(),
        [...new Set([x.accountId, ...list(c, "allowedImageProviders")])].sort(),
      );
      assert.equal(
        allowed.imageCriterions[0].creationDateCondition.maximumDaysSinceCreated,
        num(c, "amiMaxAgeDays"),
      );
      assert.equal(
        r().one("aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess").inputs.state,
        c["ami-guard:snapshotBlockPublicAccessState"],
      );
      const rules = r()
        .ofType("aws:rbin/rule:Rule")
        .map((reg) => reg.inputs as Record<string, any>);
      assert.deepEqual(rules.map((rule) => rule.resourceType).sort(), ["EBS_SNAPSHOT", "EC2_IMAGE"]);
      for (const rule of rules)
        assert.equal(rule.retentionPeriod.retentionPeriodValue, num(c, "recycleBinRetentionDays"));
      assert.equal(r().one("aws:ebs/encryptionByDefault:EncryptionByDefault").inputs.enabled, true);
      assert.equal(r().one("aws:ebs/defaultKmsKey:DefaultKmsKey").inputs.keyArn, run.outputs.amiKeyArn);
    });

    it("keeps the audit trail, its logs and alarms as configured", function () {
      const trail = r().one("aws:cloudtrail/trail:Trail").inputs as Record<string, any>;
      assert.equal(trail.name, `ami-guard-${x.environment}`);
      assert.equal(trail.isMultiRegionTrail, true);
      assert.equal(trail.enableLogFileValidation, true);
      assert.equal(trail.s3BucketName, run.outputs.trailBucketName);
      const group = r().one("aws:cloudwatch/logGroup:LogGroup", "audit-log-group").inputs as Record<
        string,
        any
      >;
      assert.equal(group.retentionInDays, num(c, "logRetentionDays"));
      assert.equal(
        trail.cloudWatchLogsGroupArn,
        `arn:aws:logs:${x.region}:${x.accountId}:log-group:${group.name}:*`,
      );
      assert.equal(trail.kmsKeyId, group.kmsKeyId);
      const lifecycle = r().one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .inputs as Record<string, any>;
      assert.equal(lifecycle.rules[0].expiration.days, num(c, "trailBucketRetentionDays"));
      const subs = r()
        .ofType("aws:sns/topicSubscription:TopicSubscription")
        .map((reg) => reg.inputs as Record<string, any>);
      assert.deepEqual(subs.map((s) => s.endpoint).sort(), [...list(c, "alarmEmails")].sort());
      assert.ok(subs.every((s) => s.protocol === "email" && s.topic === run.outputs.alarmTopicArn));
      const alarms = r()
        .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
        .map((reg) => reg.inputs as Record<string, any>);
      assert.ok(
        alarms.every((a) => a.alarmActions.length === 1 && a.alarmActions[0] === run.outputs.alarmTopicArn),
      );
    });

    it("confines the AMI key to EC2 and to the allow-listed accounts and organisations", function () {
      const keys = r()
        .ofType("aws:kms/key:Key")
        .map((reg) => reg.inputs as Record<string, any>);
      assert.ok(
        keys.every(
          (k) => k.enableKeyRotation === true && k.deletionWindowInDays === num(c, "kmsDeletionWindowDays"),
        ),
      );
      const amiKey = r().one("aws:kms/key:Key", "ami-key-key").inputs as Record<string, any>;
      const policy = policyOf(amiKey.policy);
      const sid = (s: string) =>
        policy.Statement.find((st) => st.Sid === s) as Record<string, any> | undefined;
      assert.equal(
        sid("DenyUseOutsideEc2")?.Condition.StringNotEquals["kms:ViaService"],
        `ec2.${x.region}.amazonaws.com`,
      );
      const accounts = list(c, "sharingAccountIds");
      const shared = sid("AllowListedAccountsUseKeyThroughEc2");
      if (accounts.length) assert.deepEqual(shared?.Condition.StringEquals["kms:CallerAccount"], accounts);
      else assert.equal(shared, undefined);
      const orgs = list(c, "sharingOrganizationArns");
      assert.equal(sid("AllowListedOrganizationsUseKeyThroughEc2") !== undefined, orgs.length > 0);
      const ous = list(c, "sharingOrganizationalUnitArns");
      assert.equal(sid("AllowListedOusUseKeyThroughEc2") !== undefined, ous.length > 0);
    });

    it("creates the four roles with the configured trust, the boundary and scoped inline policies", function () {
      const boundary = r().one("aws:iam/policy:Policy", "roles-boundary");
      for (const kind of ["builder", "publisher", "deployer", "auditor"]) {
        const role = r().one("aws:iam/role:Role", `roles-${kind}`).inputs as Record<string, any>;
        assert.equal(role.name, `ami-guard-${x.environment}-${kind}`);
        assert.equal(
          role.permissionsBoundary,
          `arn:aws:iam::${x.accountId}:policy/ami-guard/${boundary.inputs.name as string}`,
        );
        const trust = policyOf(role.assumeRolePolicy);
        assert.deepEqual(
          (trust.Statement[0].Principal as Record<string, string[]>).AWS,
          list(c, `${kind}PrincipalArns`),
        );
        const inline = r().one("aws:iam/rolePolicy:RolePolicy", `roles-${kind}-policy`).inputs as Record<
          string,
          any
        >;
        assert.ok(policyOf(inline.policy).Statement.length > 0);
      }
      assert.deepEqual(
        (r().one("aws:inspector2/enabler:Enabler").inputs as Record<string, any>).resourceTypes,
        list(c, "inspectorResourceTypes"),
      );
    });

    it("runs the AMI auditor on its schedule and AMI events, read-only unless the stack remediates", function () {
      const fn = r().one("aws:lambda/function:Function").inputs as Record<string, any>;
      assert.equal(fn.name, `ami-guard-${x.environment}-auditor`);
      assert.equal(fn.runtime, "nodejs22.x");
      assert.deepEqual(fn.architectures, ["arm64"]);
      const env = fn.environment.variables as Record<string, string>;
      const regions = list(c, "auditorRegions");
      assert.equal(env.AMI_GUARD_REGIONS, (regions.length ? regions : [x.region]).join(","));
      assert.equal(env.AMI_GUARD_REMEDIATE, c["ami-guard:auditorRemediate"]);
      assert.equal(env.AMI_GUARD_ALARM_TOPIC_ARN, run.outputs.alarmTopicArn);
      const packConfig = JSON.parse(env.AMI_GUARD_POLICY_CONFIG);
      assert.deepEqual(
        packConfig["ec2-ami-disallow-public-sharing"].allowedAccounts,
        list(c, "sharingAccountIds"),
      );
      assert.equal(packConfig["ec2-ami-disallow-stale-image"].maxAgeDays, num(c, "amiMaxAgeDays"));
      assert.equal(
        r().one("aws:cloudwatch/eventRule:EventRule", "auditor-schedule").inputs.scheduleExpression,
        c["ami-guard:auditorScheduleExpression"],
      );
      const pattern = JSON.parse(
        r().one("aws:cloudwatch/eventRule:EventRule", "auditor-ami-events").inputs.eventPattern as string,
      );
      assert.ok(pattern.detail.eventName.includes("ModifyImageAttribute"));
      const role = r().one("aws:iam/role:Role", "auditor-role").inputs as Record<string, any>;
      assert.equal(
        role.permissionsBoundary,
        `arn:aws:iam::${x.accountId}:policy/ami-guard/ami-guard-${x.environment}-auditor-boundary`,
      );
      const policy = policyOf(r().one("aws:iam/rolePolicy:RolePolicy", "auditor-policy").inputs.policy);
      const modify = policy.Statement.filter(
        (s) => s.Effect === "Allow" && [s.Action].flat().includes("ec2:ModifyImageAttribute"),
      );
      assert.equal(modify.length, c["ami-guard:auditorRemediate"] === "true" ? 1 : 0);
      assert.equal(
        r().ofType("aws:securityhub/account:Account").length,
        c["ami-guard:auditorEnableSecurityHub"] === "true" ? 1 : 0,
      );
      const alarms = r()
        .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
        .filter((a) => a.name.startsWith("auditor-"))
        .map((a) => (a.inputs as Record<string, any>).metricName)
        .sort();
      assert.deepEqual(alarms, ["ApproximateNumberOfMessagesVisible", "Errors", "Throttles"]);
      assert.equal(run.outputs.auditorFunctionName, `ami-guard-${x.environment}-auditor`);
    });

    it("registers exactly the recorded IAM documents and resource names (tests/fixtures/iam)", function () {
      assertIamSnapshot(x.stack, r());
    });

    it("attaches the organisation SCP only when the stack enables it", function () {
      const enabled = c["ami-guard:scpEnabled"] === "true";
      assert.equal(r().ofType("aws:organizations/policy:Policy").length, enabled ? 1 : 0);
      assert.equal(
        r().ofType("aws:organizations/policyAttachment:PolicyAttachment").length,
        enabled ? list(c, "scpTargetIds").length : 0,
      );
      assert.equal(run.outputs.organizationPolicyId, enabled ? "p-examplescp1" : undefined);
    });
  });
}
