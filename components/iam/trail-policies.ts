/**
 * The documents of the audit trail (components/audit-trail.ts) and its alarm topic
 * (components/ami-activity-alarms.ts): the trail bucket's policy, the CloudWatch Logs delivery role, the topic's
 * policy.
 */
import { LOG_WRITE_ACTIONS, TRAIL_FILE_WRITE_ACTIONS } from "./actions";
import { alarmArns, trailArn } from "./arns";
import { assumeRoleStatement, tlsOnly } from "./statements";
import { policyDocument, type AccountContext, type PolicyDocument } from "./types";

/**
 * The trail bucket's policy: CloudTrail (this trail only) checks the ACL and writes under AWSLogs/<account>/;
 * nobody else may write, overwrite or delete objects; TLS only.
 */
export function trailBucketPolicy(ctx: AccountContext, bucketArn: string): PolicyDocument {
  const trail = trailArn(ctx);
  return policyDocument([
    {
      Sid: "CloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": trail } },
    },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/AWSLogs/${ctx.accountId}/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail } },
    },
    {
      Sid: "OnlyCloudTrailWrites",
      Effect: "Deny",
      Principal: "*",
      Action: TRAIL_FILE_WRITE_ACTIONS,
      Resource: `${bucketArn}/*`,
      Condition: { StringNotEquals: { "aws:PrincipalServiceName": "cloudtrail.amazonaws.com" } },
    },
    tlsOnly("s3:*", [bucketArn, `${bucketArn}/*`]),
  ]);
}

/** Trust of the trail's CloudWatch Logs delivery role: CloudTrail, for this trail only. */
export function trailLogsTrustPolicy(ctx: AccountContext): PolicyDocument {
  return policyDocument([
    assumeRoleStatement(
      "CloudTrailForThisTrail",
      { Service: "cloudtrail.amazonaws.com" },
      { StringEquals: { "aws:SourceArn": trailArn(ctx), "aws:SourceAccount": ctx.accountId } },
    ),
  ]);
}

/** The delivery role may write only to the trail's log group. */
export function trailLogsRolePolicy(logGroupArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "DeliverToTrailLogGroup",
      Effect: "Allow",
      Action: LOG_WRITE_ACTIONS,
      Resource: `${logGroupArn}:log-stream:*`,
    },
  ]);
}

/** The alarm topic's policy: CloudWatch alarms of this account publish; TLS only. */
export function alarmTopicPolicy(ctx: AccountContext, topicArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: { "aws:SourceArn": alarmArns(ctx) },
      },
    },
    tlsOnly("sns:Publish", topicArn),
  ]);
}
