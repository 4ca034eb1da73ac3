/**
 * The IAM documents of the AMI auditor function (components/ami-auditor.ts), typed like every other document
 * (components/policies.ts) and proven by simulation in tests/iam/auditor-role.spec.ts. The function reads the
 * AMI estate, writes its own logs, findings, alarm messages and dead letters, and — only when the stack turns
 * remediation on — may call ec2:ModifyImageAttribute on this account's images, nothing more.
 */
import {
  IMAGE_CHANGE_ACTIONS,
  IMAGE_CREATE_ACTIONS,
  ROLE_PATH,
  type AccountContext,
  type PolicyDocument,
  type PolicyStatement,
} from "./policies";

/** The function's name (and its role's and log group's), fixed so documents can name it before it exists. */
export function auditorFunctionName(environment: string): string {
  return `ami-guard-${environment}-auditor`;
}

export function auditorRoleArn(ctx: AccountContext): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role${ROLE_PATH}${auditorFunctionName(ctx.environment)}-function`;
}

/** The Security Hub default product of the account in its region: where the function imports findings. */
export function securityHubProductArn(ctx: AccountContext): string {
  return `arn:${ctx.partition}:securityhub:${ctx.region}:${ctx.accountId}:product/${ctx.accountId}/default`;
}

export function securityHubArn(ctx: AccountContext): string {
  return `arn:${ctx.partition}:securityhub:${ctx.region}:${ctx.accountId}:hub/default`;
}

/** Every read the audit makes (src/audit/aws.ts and src/audit/scope.ts), none of which takes a resource ARN. */
export const AUDIT_READ_ACTIONS = [
  "ec2:DescribeFleets",
  "ec2:DescribeImages",
  "ec2:DescribeInstances",
  "ec2:DescribeLaunchTemplateVersions",
  "ec2:DescribeRegions",
  "ec2:GetAllowedImagesSettings",
  "ec2:GetEbsDefaultKmsKeyId",
  "ec2:GetEbsEncryptionByDefault",
  "ec2:GetImageBlockPublicAccessState",
  "ec2:GetSnapshotBlockPublicAccessState",
  "ec2:DescribeSpotFleetRequests",
  "autoscaling:DescribeAutoScalingGroups",
  "inspector2:BatchGetAccountStatus",
  "cloudtrail:DescribeTrails",
];

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
  const images = `arn:${ctx.partition}:ec2:*::image/*`;
  const statements: PolicyStatement[] = [
    { Sid: "ReadAmiEstate", Effect: "Allow", Action: AUDIT_READ_ACTIONS, Resource: "*" },
    { Sid: "ReadLaunchPermissions", Effect: "Allow", Action: "ec2:DescribeImageAttribute", Resource: images },
    {
      Sid: "ResolveSsmImageReferences",
      Effect: "Allow",
      Action: "ssm:GetParameters",
      Resource: [
        `arn:${ctx.partition}:ssm:*:${ctx.accountId}:parameter/*`,
        `arn:${ctx.partition}:ssm:*::parameter/aws/service/*`,
      ],
    },
    {
      Sid: "ReadTrailStatus",
      Effect: "Allow",
      Action: ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
      Resource: `arn:${ctx.partition}:cloudtrail:*:${ctx.accountId}:trail/*`,
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
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
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
    {
      Sid: "NeverRetagsImages",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [`arn:${ctx.partition}:ec2:*::image/*`, `arn:${ctx.partition}:ec2:*::snapshot/*`],
    },
  );
  if (!remediate) {
    statements.push({
      Sid: "ReadOnlyWithoutRemediation",
      Effect: "Deny",
      Action: "ec2:ModifyImageAttribute",
      Resource: "*",
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Lambda assumes the function's role, for this account only. */
export function auditorTrustPolicy(ctx: AccountContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LambdaInThisAccount",
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
      },
    ],
  };
}

/** The dead-letter queue's policy: EventBridge may send, for the auditor's own rules only; TLS only. */
export function deadLetterQueuePolicy(
  ctx: AccountContext,
  queueArn: string,
  ruleArns: readonly string[],
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRulesDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
      {
        Sid: "TlsOnly",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: queueArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}
