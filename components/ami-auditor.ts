import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GUARDRAIL_EVENTS, IMAGE_EVENTS } from "../src/auditor/events";
import {
  amiGuardName,
  auditorFunctionName,
  auditorFunctionPolicy,
  auditorTrustPolicy,
  deadLetterQueuePolicy,
  ROLE_PATH,
  roleBoundary,
  type AccountContext,
  type SharingTargets,
} from "./iam";

/** The bundled handler (`npm run build`), from the source tree or the compiled one. */
export function auditorBundlePath(): string {
  const candidates = [
    path.resolve(__dirname, "..", "dist", "auditor", "handler.js"),
    path.resolve(__dirname, "..", "auditor", "handler.js"),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`the auditor bundle is missing (${candidates[0]}): run npm run build`);
  return found;
}

/** The EventBridge pattern of the CloudTrail events that change an AMI's risk or an account guardrail. */
export function amiEventPattern(): Record<string, unknown> {
  return {
    source: ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["ec2.amazonaws.com"],
      eventName: [...IMAGE_EVENTS, ...GUARDRAIL_EVENTS],
    },
  };
}

/** Arguments of {@link AmiAuditor}. */
export interface AmiAuditorArgs {
  /** Account, region, partition and environment. */
  readonly account: pulumi.Input<AccountContext>;
  /** Environment label (names and tags). */
  readonly environment: string;
  /** The bundled handler file (dist/auditor/handler.js; {@link auditorBundlePath}). */
  readonly handlerFile: string;
  /** The policy pack configuration (the `--policy-pack-config` JSON) the function judges with. */
  readonly policyConfig: pulumi.Input<string>;
  /** Regions the scheduled audit covers. */
  readonly regions: readonly string[];
  /** EventBridge schedule expression of the full audit (`rate(6 hours)`, `cron(…)`). */
  readonly scheduleExpression: string;
  /** Remove public and non-allow-listed launch permissions from owned images (off: the role is read-only). */
  readonly remediate: boolean;
  /** Enable Security Hub in the account (leave off where the organisation enables it). */
  readonly enableSecurityHub: boolean;
  /** Alarm topic: new high and critical findings, remediations, and the function's own alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** The KMS key of the alarm topic (the function gets a grant to publish through it). */
  readonly topicKeyArn: pulumi.Input<string>;
  /** KMS key encrypting the function's log group. */
  readonly logKeyArn: pulumi.Input<string>;
  /** Log retention, days (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Sharing allow-list (the boundary's snapshot-sharing denies). */
  readonly sharing: SharingTargets;
  /** Memory of the function, MiB. */
  readonly memoryMiB?: number;
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * The AMI auditor: a Lambda function (nodejs22.x, arm64) running this project's audit on a schedule and on the
 * CloudTrail events that change an AMI or a guardrail, importing its findings into Security Hub and sending new
 * high and critical ones to the alarm topic (docs/auditor.md). Its role is read-only unless remediation is on,
 * capped by its own permissions boundary; its log group is KMS-encrypted with a retention; failed event
 * invocations land in an encrypted dead-letter queue; its errors, throttles and dead letters raise alarms.
 */
export class AmiAuditor extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;

  constructor(name: string, args: AmiAuditorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiAuditor", name, {}, opts);
    const fnName = auditorFunctionName(args.environment);
    const tags = { ...args.tags, Role: "auditor-function" };

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/lambda/${fnName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKeyArn,
        tags,
      },
      { parent: this },
    );
    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${fnName}-dlq`, sqsManagedSseEnabled: true, messageRetentionSeconds: 1_209_600, tags },
      { parent: this },
    );

    const docs = pulumi
      .all([args.account, logs.arn, dlq.arn, args.alarmTopicArn])
      .apply(([ctx, logGroupArn, deadLetterQueueArn, alarmTopicArn]) => {
        const policy = auditorFunctionPolicy(
          ctx,
          { logGroupArn, deadLetterQueueArn, alarmTopicArn },
          args.remediate,
        );
        return {
          policy,
          boundary: roleBoundary(ctx, args.sharing, [policy]),
          trust: auditorTrustPolicy(ctx),
        };
      });
    const boundary = new aws.iam.Policy(
      `${name}-boundary`,
      {
        name: `${fnName}-boundary`,
        path: ROLE_PATH,
        description: "AMI Guard auditor function boundary: at most its own actions, no guardrail tampering",
        policy: docs.apply((d) => JSON.stringify(d.boundary)),
        tags,
      },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: `${fnName}-function`,
        path: ROLE_PATH,
        description: `AMI Guard auditor function (${args.environment})`,
        assumeRolePolicy: docs.apply((d) => JSON.stringify(d.trust)),
        permissionsBoundary: boundary.arn,
        forceDetachPolicies: true,
        tags,
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        name: amiGuardName("auditor-function"),
        role: role.name,
        policy: docs.apply((d) => JSON.stringify(d.policy)),
      },
      { parent: this },
    );
    // The alarm topic is encrypted with a key whose policy names no IAM principals: a grant lets the function
    // publish through it (SNS generates and decrypts the data key as the publisher).
    new aws.kms.Grant(
      `${name}-topic-key-grant`,
      {
        name: `${fnName}-publish`,
        keyId: args.topicKeyArn,
        granteePrincipal: role.arn,
        operations: ["GenerateDataKey", "Decrypt"],
      },
      { parent: this },
    );

    const hub = args.enableSecurityHub
      ? new aws.securityhub.Account(
          `${name}-security-hub`,
          {
            enableDefaultStandards: false,
            autoEnableControls: true,
            controlFindingGenerator: "SECURITY_CONTROL",
          },
          { parent: this },
        )
      : undefined;

    const fn = new aws.lambda.Function(
      `${name}-function`,
      {
        name: fnName,
        description: "AMI Guard: audits the account's AMIs and guardrails into Security Hub",
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ["arm64"],
        memorySize: args.memoryMiB ?? 256,
        timeout: 300,
        handler: "handler.handler",
        code: new pulumi.asset.AssetArchive({ "handler.js": new pulumi.asset.FileAsset(args.handlerFile) }),
        role: role.arn,
        environment: {
          variables: {
            AMI_GUARD_POLICY_CONFIG: args.policyConfig,
            AMI_GUARD_REGIONS: args.regions.join(","),
            AMI_GUARD_REMEDIATE: String(args.remediate),
            AMI_GUARD_ALARM_TOPIC_ARN: args.alarmTopicArn,
          },
        },
        deadLetterConfig: { targetArn: dlq.arn },
        loggingConfig: { logFormat: "Text", logGroup: logs.name },
        tags,
      },
      { parent: this, dependsOn: hub ? [logs, rolePolicy, hub] : [logs, rolePolicy] },
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      { functionName: fn.name, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      { parent: this },
    );

    const schedule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      {
        name: `${fnName}-schedule`,
        description: "AMI Guard: periodic full audit",
        scheduleExpression: args.scheduleExpression,
        tags,
      },
      { parent: this },
    );
    const events = new aws.cloudwatch.EventRule(
      `${name}-ami-events`,
      {
        name: `${fnName}-ami-events`,
        description: "AMI Guard: audit an AMI or a guardrail as soon as CloudTrail records a change",
        eventPattern: JSON.stringify(amiEventPattern()),
        tags,
      },
      { parent: this },
    );
    for (const [id, rule] of [
      ["schedule", schedule],
      ["ami-events", events],
    ] as const) {
      new aws.cloudwatch.EventTarget(
        `${name}-${id}-target`,
        {
          rule: rule.name,
          arn: fn.arn,
          retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: dlq.arn },
        },
        { parent: this },
      );
      new aws.lambda.Permission(
        `${name}-${id}-permission`,
        {
          action: "lambda:InvokeFunction",
          function: fn.name,
          principal: "events.amazonaws.com",
          sourceArn: rule.arn,
        },
        { parent: this },
      );
    }
    new aws.sqs.QueuePolicy(
      `${name}-dlq-policy`,
      {
        queueUrl: dlq.url,
        policy: pulumi
          .all([args.account, dlq.arn, schedule.arn, events.arn])
          .apply(([ctx, q, a, b]) => JSON.stringify(deadLetterQueuePolicy(ctx, q, [a, b]))),
      },
      { parent: this },
    );

    const alarm = (id: string, description: string, metric: Partial<aws.cloudwatch.MetricAlarmArgs>) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${id}-alarm`,
        {
          name: `${fnName}-${id}`,
          alarmDescription: `AMI Guard (${args.environment}): ${description}`,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          actionsEnabled: true,
          alarmActions: [args.alarmTopicArn],
          tags,
          ...metric,
        },
        { parent: this },
      );
    alarm("errors", "the auditor function failed: findings may not have reached Security Hub.", {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fn.name },
    });
    alarm("throttles", "the auditor function was throttled: audits are delayed or lost.", {
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: { FunctionName: fn.name },
    });
    alarm("dead-letters", "an AMI event or schedule could not be audited: it is in the dead-letter queue.", {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      statistic: "Maximum",
      dimensions: { QueueName: dlq.name },
    });

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
    this.deadLetterQueueUrl = dlq.url;
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      roleArn: this.roleArn,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
    });
  }
}
