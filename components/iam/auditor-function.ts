/**
 * The IAM documents of the AMI auditor function (components/ami-auditor.ts), proven by simulation in
 * tests/iam/auditor-role.spec.ts. The function reads the AMI estate, writes its own logs, findings, alarm
 * messages and dead letters, and — only when the stack turns remediation on — may call
 * ec2:ModifyImageAttribute on this account's images, nothing more.
 */
import {
  AUDIT_READ_ACTIONS,
  IMAGE_CHANGE_ACTIONS,
  IMAGE_CREATE_ACTIONS,
  LOG_WRITE_ACTIONS,
  TRAIL_STATUS_READ_ACTIONS,
} from "./actions";
import { anyRegionImageArns, arn, securityHubArn, securityHubProductArn } from "./arns";
import { assumeRoleStatement, neverRetagImages, tlsOnly } from "./statements";
import { policyDocument, type AccountContext, type PolicyDocument, type PolicyStatement } from "./types";

/** Where the function writes: its log group, its dead-letter queue and the alarm topic. */
export interface AuditorOutputs {
  readonly logGroupArn: string;
  readonly deadLetterQueueArn: string;
  readonly alarmTopicArn: string;
}

/**
 * The function's policy: read-only over the estate in every region of the account; findings into this
 * account's Security Hub; its logs, dead letters and alarm messages. With `remediate`, one more statement:
 * ec2:ModifyImageAttribute on images this account owns (`ec2:Owner`). Creating, copying, deregistering,
 * retagging images and changing snapshots are denied whatever else is attached.
 */
export function auditorFunctionPolicy(
  ctx: AccountContext,
  out: AuditorOutputs,
  remediate: boolean,
): PolicyDocument {
  const images = anyRegionImageArns(ctx.partition);
  const statements: PolicyStatement[] = [
    { Sid: "ReadAmiEstate", Effect: "Allow", Action: AUDIT_READ_ACTIONS, Resource: "*" },
    { Sid: "ReadLaunchPermissions", Effect: "Allow", Action: "ec2:DescribeImageAttribute", Resource: images },
    {
      Sid: "ResolveSsmImageReferences",
      Effect: "Allow",
      Action: "ssm:GetParameters",
      Resource: [
        arn(ctx.partition, "ssm", "*", ctx.accountId, "parameter/*"),
        arn(ctx.partition, "ssm", "*", "", "parameter/aws/service/*"),
      ],
    },
    {
      Sid: "ReadTrailStatus",
      Effect: "Allow",
      Action: TRAIL_STATUS_READ_ACTIONS,
      Resource: arn(ctx.partition, "cloudtrail", "*", ctx.accountId, "trail/*"),
    },
    {
      Sid: "ImportFindings",
      Effect: "Allow",
      Action: "securityhub:BatchImportFindings",
      Resource: securityHubProductArn(ctx),
    },
    {
      Sid: "ListAndResolveFindings",
      Effect: "Allow",
      Action: ["securityhub:GetFindings", "securityhub:BatchUpdateFindings"],
      Resource: securityHubArn(ctx),
    },
    { Sid: "PublishAlarms", Effect: "Allow", Action: "sns:Publish", Resource: out.alarmTopicArn },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: LOG_WRITE_ACTIONS,
      Resource: `${out.logGroupArn}:log-stream:*`,
    },
    { Sid: "DeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: out.deadLetterQueueArn },
  ];
  if (remediate) {
    statements.push({
      Sid: "RemoveBadLaunchPermissionsFromOwnImages",
      Effect: "Allow",
      Action: "ec2:ModifyImageAttribute",
      Resource: images,
      Condition: { StringEquals: { "ec2:Owner": ctx.accountId } },
    });
  }
  statements.push(
    {
      Sid: "NeverMakesOrDeletesImages",
      Effect: "Deny",
      Action: [
        ...IMAGE_CREATE_ACTIONS,
        ...IMAGE_CHANGE_ACTIONS.filter((a) => a !== "ec2:ModifyImageAttribute"),
      ],
      Resource: "*",
    },
    neverRetagImages("NeverRetagsImages", ctx.partition),
  );
  if (!remediate) {
    statements.push({
      Sid: "ReadOnlyWithoutRemediation",
      Effect: "Deny",
      Action: "ec2:ModifyImageAttribute",
      Resource: "*",
    });
  }
  return policyDocument(statements);
}

/** Lambda assumes the function's role, for this account only. */
export function auditorTrustPolicy(ctx: AccountContext): PolicyDocument {
  return policyDocument([
    assumeRoleStatement(
      "LambdaInThisAccount",
      { Service: "lambda.amazonaws.com" },
      { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    ),
  ]);
}

/** The dead-letter queue's policy: EventBridge may send, for the auditor's own rules only; TLS only. */
export function deadLetterQueuePolicy(
  ctx: AccountContext,
  queueArn: string,
  ruleArns: readonly string[],
): PolicyDocument {
  return policyDocument([
    {
      Sid: "EventBridgeRulesDeadLetters",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
    },
    tlsOnly("sqs:*", queueArn),
  ]);
}
