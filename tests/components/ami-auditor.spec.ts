/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { AmiAuditor, amiEventPattern, auditorBundlePath } from "../../components/ami-auditor";
import type { AccountContext } from "../../components/iam";
import { GUARDRAIL_EVENTS, IMAGE_EVENTS } from "../../src/auditor/events";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";
import { policyOf } from "../program/program-checks";

const ctx: AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const TOPIC = "arn:aws:sns:us-east-1:111111111111:ami-guard-dev-alarms";
const KEY = "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-1111-2222-3333-555555555555";
const SHARING = { accountIds: ["222222222222"], organizationArns: [], organizationalUnitArns: [] };

async function declare(over: { remediate?: boolean; enableSecurityHub?: boolean } = {}) {
  const rec = await installMocks();
  const auditor = new AmiAuditor("auditor", {
    account: ctx,
    environment: "dev",
    handlerFile: auditorBundlePath(),
    policyConfig: '{"ec2-ami-disallow-stale-image":{"maxAgeDays":30}}',
    regions: ["us-east-1", "eu-west-1"],
    scheduleExpression: "rate(6 hours)",
    remediate: over.remediate ?? false,
    enableSecurityHub: over.enableSecurityHub ?? true,
    alarmTopicArn: TOPIC,
    topicKeyArn: KEY,
    logKeyArn: KEY,
    logRetentionDays: 30,
    sharing: SHARING,
    tags: { ManagedBy: "ami-guard" },
  });
  await settle(auditor.functionArn, auditor.roleArn);
  return { rec, auditor };
}

const inputs = (rec: Recorder, type: string, name?: string) =>
  rec.one(type, name).inputs as Record<string, any>;

describe("AmiAuditor", function () {
  it("declares its resources under itself, named after it", async function () {
    const { rec, auditor } = await declare();
    const urn = await promiseOf(auditor.urn);
    const counts: Record<string, number> = {};
    for (const r of rec.registrations.filter((x) => x.parent === urn)) {
      counts[r.type] = (counts[r.type] ?? 0) + 1;
      assert.ok(r.name.startsWith("auditor-"), r.name);
    }
    assert.deepEqual(counts, {
      "aws:cloudwatch/eventRule:EventRule": 2,
      "aws:cloudwatch/eventTarget:EventTarget": 2,
      "aws:cloudwatch/logGroup:LogGroup": 1,
      "aws:cloudwatch/metricAlarm:MetricAlarm": 3,
      "aws:iam/policy:Policy": 1,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:kms/grant:Grant": 1,
      "aws:lambda/function:Function": 1,
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 1,
      "aws:lambda/permission:Permission": 2,
      "aws:securityhub/account:Account": 1,
      "aws:sqs/queue:Queue": 1,
      "aws:sqs/queuePolicy:QueuePolicy": 1,
    });
  });

  it("runs the bundled handler on nodejs22.x, arm64, small memory, configured from the stack", async function () {
    const { rec } = await declare();
    const fn = inputs(rec, "aws:lambda/function:Function");
    assert.equal(fn.runtime, "nodejs22.x");
    assert.deepEqual(fn.architectures, ["arm64"]);
    assert.ok(fn.memorySize <= 512);
    assert.equal(fn.handler, "handler.handler");
    const code = await promiseOf(fn.code);
    assert.ok(code, "the code is an asset archive of the bundle");
    assert.deepEqual(fn.environment.variables, {
      AMI_GUARD_POLICY_CONFIG: '{"ec2-ami-disallow-stale-image":{"maxAgeDays":30}}',
      AMI_GUARD_REGIONS: "us-east-1,eu-west-1",
      AMI_GUARD_REMEDIATE: "false",
      AMI_GUARD_ALARM_TOPIC_ARN: TOPIC,
    });
    assert.equal(
      fn.deadLetterConfig.targetArn,
      inputs(rec, "aws:sqs/queue:Queue").arn ?? fn.deadLetterConfig.targetArn,
    );
    assert.equal(fn.loggingConfig.logGroup, "/aws/lambda/ami-guard-dev-auditor");
    const logs = inputs(rec, "aws:cloudwatch/logGroup:LogGroup");
    assert.equal(logs.kmsKeyId, KEY);
    assert.equal(logs.retentionInDays, 30);
    assert.equal(inputs(rec, "aws:sqs/queue:Queue").sqsManagedSseEnabled, true);
    const async = inputs(rec, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    assert.equal(async.maximumRetryAttempts, 2);
  });

  it("runs on its schedule and on every AMI and guardrail CloudTrail event, failed deliveries to the DLQ", async function () {
    const { rec } = await declare();
    assert.equal(
      inputs(rec, "aws:cloudwatch/eventRule:EventRule", "auditor-schedule").scheduleExpression,
      "rate(6 hours)",
    );
    const pattern: any = JSON.parse(
      inputs(rec, "aws:cloudwatch/eventRule:EventRule", "auditor-ami-events").eventPattern,
    );
    assert.deepEqual(pattern.source, ["aws.ec2"]);
    assert.deepEqual(pattern["detail-type"], ["AWS API Call via CloudTrail"]);
    for (const e of [
      "CreateImage",
      "CopyImage",
      "RegisterImage",
      "ModifyImageAttribute",
      "ResetImageAttribute",
      "EnableImage",
      "DisableImageBlockPublicAccess",
      "DisableAllowedImagesSettings",
      "DisableImageDeregistrationProtection",
    ])
      assert.ok(pattern.detail.eventName.includes(e), e);
    assert.deepEqual(pattern.detail.eventName, [...IMAGE_EVENTS, ...GUARDRAIL_EVENTS]);
    assert.deepEqual(pattern, amiEventPattern());
    for (const t of rec.ofType("aws:cloudwatch/eventTarget:EventTarget"))
      assert.ok((t.inputs as any).deadLetterConfig.arn, t.name);
    for (const p of rec.ofType("aws:lambda/permission:Permission")) {
      assert.equal((p.inputs as any).principal, "events.amazonaws.com");
      assert.ok((p.inputs as any).sourceArn, "invocation only from its own rules");
    }
  });

  it("gives the role its own boundary, a read-only policy, and alarms on errors, throttles and dead letters", async function () {
    const { rec } = await declare();
    const role = inputs(rec, "aws:iam/role:Role");
    assert.equal(role.name, "ami-guard-dev-auditor-function");
    assert.equal(role.path, "/ami-guard/");
    assert.ok(role.permissionsBoundary, "a permissions boundary");
    const trust = policyOf(role.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "lambda.amazonaws.com" });
    const boundary = policyOf(inputs(rec, "aws:iam/policy:Policy").policy);
    assert.ok(boundary.Statement.some((s) => s.Sid === "NoGuardrailTampering" && s.Effect === "Deny"));
    const policy = policyOf(inputs(rec, "aws:iam/rolePolicy:RolePolicy").policy);
    const allowed = policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat());
    assert.ok(!allowed.includes("ec2:ModifyImageAttribute"));
    assert.ok(policy.Statement.some((s) => s.Sid === "ReadOnlyWithoutRemediation"));
    const grant = inputs(rec, "aws:kms/grant:Grant");
    assert.deepEqual(grant.operations, ["GenerateDataKey", "Decrypt"]);
    const alarms = rec.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs as any);
    assert.deepEqual(alarms.map((a) => `${a.namespace} ${a.metricName}`).sort(), [
      "AWS/Lambda Errors",
      "AWS/Lambda Throttles",
      "AWS/SQS ApproximateNumberOfMessagesVisible",
    ]);
    assert.ok(alarms.every((a) => a.alarmActions.length === 1 && a.alarmActions[0] === TOPIC));
  });

  it("with remediation on, the function may modify this account's images' attributes, and only that more", async function () {
    const { rec } = await declare({ remediate: true });
    const fn = inputs(rec, "aws:lambda/function:Function");
    assert.equal(fn.environment.variables.AMI_GUARD_REMEDIATE, "true");
    const policy = policyOf(inputs(rec, "aws:iam/rolePolicy:RolePolicy").policy);
    const st = policy.Statement.find((s) => s.Sid === "RemoveBadLaunchPermissionsFromOwnImages")!;
    assert.equal(st.Action, "ec2:ModifyImageAttribute");
    assert.deepEqual(st.Condition, { StringEquals: { "ec2:Owner": "111111111111" } });
    assert.ok(!policy.Statement.some((s) => s.Sid === "ReadOnlyWithoutRemediation"));
  });

  it("enables Security Hub only where the stack says so", async function () {
    const on = await declare({ enableSecurityHub: true });
    assert.equal(on.rec.ofType("aws:securityhub/account:Account").length, 1);
    const off = await declare({ enableSecurityHub: false });
    assert.equal(off.rec.ofType("aws:securityhub/account:Account").length, 0);
  });
});
