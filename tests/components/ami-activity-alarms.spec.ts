/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import {
  AMI_ACTIVITIES,
  AmiActivityAlarms,
  LAUNCH_PERMISSION_ITEMS_WATCHED,
  launchPermissionPublicPatterns,
  MAX_FILTER_PATTERN_LENGTH,
  METRIC_NAMESPACE,
} from "../../components/ami-activity-alarms";
import type { AccountContext } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const ctx: AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const AMI_KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-444444444444";
const TOPIC_KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-555555555555";

/** Every API event issue 3 asks to watch, with the activity that must match it. */
const REQUIRED_EVENTS: Array<[string, string]> = [
  ["CreateImage", "create-image"],
  ["CopyImage", "copy-image"],
  ["RegisterImage", "register-image"],
  ["ModifyImageAttribute", "modify-image-attribute"],
  ["ResetImageAttribute", "reset-image-attribute"],
  ["DeregisterImage", "deregister-image"],
  ["DisableImageBlockPublicAccess", "disable-image-block-public-access"],
  ["DisableAllowedImagesSettings", "allowed-images-changed"],
  ["ReplaceImageCriteriaInAllowedImagesSettings", "allowed-images-changed"],
  ["DisableImageDeregistrationProtection", "disable-deregistration-protection"],
  ["DisableEbsEncryptionByDefault", "ebs-encryption-changed"],
  ["DisableKey", "ami-key-disabled-or-deleted"],
  ["ScheduleKeyDeletion", "ami-key-disabled-or-deleted"],
  ["StopLogging", "cloudtrail-changed"],
  ["DeleteTrail", "cloudtrail-changed"],
  ["UpdateTrail", "cloudtrail-changed"],
  ["PutEventSelectors", "cloudtrail-changed"],
  ["EnableAllowedImagesSettings", "allowed-images-settings-enabled"],
  ["EnableSnapshotBlockPublicAccess", "snapshot-block-public-access-enabled"],
  ["DeleteMetricFilter", "alarms-changed"],
  ["PutMetricFilter", "alarms-changed"],
  ["DisableAlarmActions", "alarms-changed"],
  ["DeleteAlarms", "alarms-changed"],
  ["PutMetricAlarm", "alarms-changed"],
];
const FILTERS = AMI_ACTIVITIES.reduce((n, a) => n + 1 + (a.morePatterns?.length ?? 0), 0);

describe("AmiActivityAlarms", function () {
  let rec: Recorder;
  let alarms: AmiActivityAlarms;
  before(async function () {
    rec = await installMocks();
    alarms = new AmiActivityAlarms("al", {
      account: ctx,
      environment: "dev",
      logGroupName: "/aws/cloudtrail/ami-guard-dev",
      amiKeyArn: AMI_KEY,
      topicKeyArn: TOPIC_KEY,
      emails: ["a@example.com", "b@example.com"],
      tags: { ManagedBy: "ami-guard" },
    });
    await settle(alarms.topicArn, ...alarms.alarmNames);
  });

  it("declares one encrypted topic with its policy, one subscription per email, a filter and alarm per activity", async function () {
    const urn = await promiseOf(alarms.urn);
    const counts: Record<string, number> = {};
    for (const r of rec.registrations.filter((x) => x.parent === urn))
      counts[r.type] = (counts[r.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:sns/topic:Topic": 1,
      "aws:sns/topicPolicy:TopicPolicy": 1,
      "aws:sns/topicSubscription:TopicSubscription": 2,
      "aws:cloudwatch/logMetricFilter:LogMetricFilter": FILTERS,
      "aws:cloudwatch/metricAlarm:MetricAlarm": AMI_ACTIVITIES.length,
    });
    assert.equal(AMI_ACTIVITIES.length, 18);
    assert.ok(FILTERS <= 100, "CloudWatch Logs allows 100 metric filters per log group");
    assert.equal(rec.one("aws:sns/topic:Topic").inputs.kmsMasterKeyId, TOPIC_KEY);
    const subs = rec
      .ofType("aws:sns/topicSubscription:TopicSubscription")
      .map((r) => r.inputs as Record<string, any>);
    assert.deepEqual(
      subs.map((s) => [s.protocol, s.endpoint]),
      [
        ["email", "a@example.com"],
        ["email", "b@example.com"],
      ],
    );
  });

  it("watches every required API event with a filter on the trail log group", function () {
    for (const [event, id] of REQUIRED_EVENTS) {
      const filter = rec.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", `al-${id}-filter`)
        .inputs as Record<string, any>;
      assert.ok(filter.pattern.includes(`$.eventName = "${event}"`), `${id} does not match ${event}`);
      assert.equal(filter.logGroupName, "/aws/cloudtrail/ami-guard-dev");
      assert.deepEqual(filter.metricTransformation, {
        name: `ami-guard-${id}`,
        namespace: METRIC_NAMESPACE,
        value: "1",
        defaultValue: "0",
      });
    }
    const key = rec.one(
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "al-ami-key-disabled-or-deleted-filter",
    ).inputs;
    assert.ok((key.pattern as string).includes(`$.resources[0].ARN = "${AMI_KEY}"`));
    const pub = rec.one(
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "al-launch-permission-public-filter",
    ).inputs;
    assert.ok((pub.pattern as string).includes('launchPermission.add.items[0].group = "all"'));
    const pubFilters = rec
      .ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter")
      .filter((r) => r.name.startsWith("al-launch-permission-public-filter"))
      .map((r) => r.inputs as Record<string, any>);
    assert.deepEqual(pubFilters.map((f) => f.pattern).sort(), launchPermissionPublicPatterns().sort());
    for (const f of pubFilters)
      assert.equal(f.metricTransformation.name, "ami-guard-launch-permission-public");
    const root = rec.one(
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "al-root-account-use-filter",
    ).inputs;
    assert.ok((root.pattern as string).includes('$.userIdentity.type = "Root"'));
  });

  it("alarms on the first event and notifies the topic", async function () {
    const topicArn = await promiseOf(alarms.topicArn);
    for (const a of AMI_ACTIVITIES) {
      const alarm = rec.one("aws:cloudwatch/metricAlarm:MetricAlarm", `al-${a.id}-alarm`).inputs as Record<
        string,
        any
      >;
      assert.equal(alarm.metricName, `ami-guard-${a.id}`);
      assert.equal(alarm.namespace, METRIC_NAMESPACE);
      assert.equal(alarm.threshold, 1);
      assert.equal(alarm.comparisonOperator, "GreaterThanOrEqualToThreshold");
      assert.equal(alarm.statistic, "Sum");
      assert.equal(alarm.treatMissingData, "notBreaching");
      assert.deepEqual(alarm.alarmActions, [topicArn]);
    }
    const policy = JSON.parse(rec.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy as string);
    assert.deepEqual(policy.Statement[0].Principal, { Service: "cloudwatch.amazonaws.com" });
    assert.equal(policy.Statement[0].Resource, topicArn);
  });

  it("sees an `all` at every item of a launch permission request, not only the first", function () {
    const patterns = launchPermissionPublicPatterns();
    assert.ok(patterns.length > 1);
    for (const p of patterns) assert.ok(p.length <= MAX_FILTER_PATTERN_LENGTH, `${p.length} characters`);
    for (let i = 0; i < LAUNCH_PERMISSION_ITEMS_WATCHED; i++) {
      const clause = `($.requestParameters.launchPermission.add.items[${i}].group = "all")`;
      assert.equal(patterns.filter((p) => p.includes(clause)).length, 1, `item ${i} is watched exactly once`);
    }
    const beyond = patterns[patterns.length - 1];
    assert.ok(
      beyond.includes(`items[${LAUNCH_PERMISSION_ITEMS_WATCHED}].group = "*"`) &&
        beyond.includes(`items[${LAUNCH_PERMISSION_ITEMS_WATCHED}].userId = "*"`),
      "a request with more items than watched is counted",
    );
    for (const p of patterns) assert.ok(p.includes('($.eventName = "ModifyImageAttribute")'));
  });
});
