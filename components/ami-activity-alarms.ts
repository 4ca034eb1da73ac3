import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmTopicPolicy, amiGuardName, type AccountContext } from "./iam";

/** One watched AMI-relevant API activity: a metric filter on the trail log group and its alarm. */
export interface AmiActivity {
  /** Short id: resource names and the metric name. */
  readonly id: string;
  /** What the alarm means, for the person paged. */
  readonly description: string;
  /** CloudWatch Logs filter pattern, given the AMI key's ARN. */
  readonly pattern: (amiKeyArn: string) => string;
  /** Further filter patterns feeding the same metric (one filter each), where one pattern cannot say it all. */
  readonly morePatterns?: readonly string[];
}

/** CloudWatch Logs' maximum length of a filter pattern. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;
/** Launch permission items the public-launch-permission filters look at, one index each (0 … N-1). */
export const LAUNCH_PERMISSION_ITEMS_WATCHED = 100;

/**
 * Filter patterns that together match a ModifyImageAttribute request adding the group `all` at ANY item of
 * `launchPermission.add.items` — not only the first. CloudWatch Logs JSON filter patterns address array
 * elements by index only (no `[*]`), so each pattern ORs as many indexes as fit in 1,024 characters, the
 * patterns feed one metric, and a last pattern matches any request with more items than are watched (item
 * N present at all), so a long list cannot hide an `all` past the last watched index.
 */
export function launchPermissionPublicPatterns(items = LAUNCH_PERMISSION_ITEMS_WATCHED): string[] {
  const head = '{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "ModifyImageAttribute") && (';
  const tail = ") }";
  const item = (i: number) => `($.requestParameters.launchPermission.add.items[${i}].group = "all")`;
  const out: string[] = [];
  let clauses: string[] = [];
  const flush = () => {
    if (clauses.length) out.push(`${head}${clauses.join(" || ")}${tail}`);
    clauses = [];
  };
  for (let i = 0; i < items; i++) {
    const next = [...clauses, item(i)];
    if (`${head}${next.join(" || ")}${tail}`.length > MAX_FILTER_PATTERN_LENGTH) flush();
    clauses.push(item(i));
  }
  flush();
  const beyond = `$.requestParameters.launchPermission.add.items[${items}]`;
  out.push(`${head}(${beyond}.group = "*") || (${beyond}.userId = "*")${tail}`);
  return out;
}
const [LAUNCH_PERMISSION_PUBLIC_FIRST, ...LAUNCH_PERMISSION_PUBLIC_MORE] = launchPermissionPublicPatterns();

const ec2Events = (...names: string[]) =>
  `{ ($.eventSource = "ec2.amazonaws.com") && (${names.map((n) => `($.eventName = "${n}")`).join(" || ")}) }`;

/** Every AMI-relevant event AMI Guard alarms on. */
export const AMI_ACTIVITIES: readonly AmiActivity[] = [
  {
    id: "create-image",
    description: "An AMI was created (CreateImage).",
    pattern: () => ec2Events("CreateImage"),
  },
  { id: "copy-image", description: "An AMI was copied (CopyImage).", pattern: () => ec2Events("CopyImage") },
  {
    id: "register-image",
    description: "An AMI was registered (RegisterImage).",
    pattern: () => ec2Events("RegisterImage"),
  },
  {
    id: "modify-image-attribute",
    description: "An AMI attribute changed (ModifyImageAttribute), launch permissions above all.",
    pattern: () => ec2Events("ModifyImageAttribute"),
  },
  {
    id: "launch-permission-public",
    description:
      "Somebody tried to make an AMI public (ModifyImageAttribute adding launch permission group all, at any item of the request).",
    pattern: () => LAUNCH_PERMISSION_PUBLIC_FIRST,
    morePatterns: LAUNCH_PERMISSION_PUBLIC_MORE,
  },
  {
    id: "reset-image-attribute",
    description: "An AMI attribute was reset (ResetImageAttribute).",
    pattern: () => ec2Events("ResetImageAttribute"),
  },
  {
    id: "deregister-image",
    description: "An AMI was deregistered (DeregisterImage).",
    pattern: () => ec2Events("DeregisterImage"),
  },
  {
    id: "disable-image-block-public-access",
    description: "Image block public access was disabled: AMIs can be made public.",
    pattern: () => ec2Events("DisableImageBlockPublicAccess"),
  },
  {
    id: "disable-snapshot-block-public-access",
    description: "Snapshot block public access was disabled: snapshots can be made public.",
    pattern: () => ec2Events("DisableSnapshotBlockPublicAccess"),
  },
  {
    id: "allowed-images-changed",
    description: "EC2 Allowed AMIs was disabled or its criteria replaced.",
    pattern: () => ec2Events("DisableAllowedImagesSettings", "ReplaceImageCriteriaInAllowedImagesSettings"),
  },
  {
    id: "allowed-images-settings-enabled",
    description:
      "EC2 Allowed AMIs was (re-)enabled, possibly in audit mode (a downgrade from enforcing): check its state. CloudTrail does not document a stable field for the requested state, so every call is counted; the audit judges the state.",
    pattern: () => ec2Events("EnableAllowedImagesSettings"),
  },
  {
    id: "snapshot-block-public-access-enabled",
    description:
      "Snapshot block public access was set (EnableSnapshotBlockPublicAccess), possibly downgraded to block-new-sharing or unblocked: check its state. Every call is counted; the audit judges the state.",
    pattern: () => ec2Events("EnableSnapshotBlockPublicAccess"),
  },
  {
    id: "disable-deregistration-protection",
    description: "Deregistration protection was removed from an AMI.",
    pattern: () => ec2Events("DisableImageDeregistrationProtection"),
  },
  {
    id: "ebs-encryption-changed",
    description: "EBS encryption by default was disabled or the default EBS key changed.",
    pattern: () =>
      ec2Events("DisableEbsEncryptionByDefault", "ModifyEbsDefaultKmsKeyId", "ResetEbsDefaultKmsKeyId"),
  },
  {
    id: "ami-key-disabled-or-deleted",
    description:
      "The AMI key was disabled or scheduled for deletion: AMIs and fleet volumes become unusable.",
    pattern: (keyArn) =>
      `{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) && ($.resources[0].ARN = "${keyArn}") }`,
  },
  {
    id: "cloudtrail-changed",
    description: "CloudTrail was stopped, deleted or changed.",
    pattern: () =>
      '{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "PutEventSelectors") || ($.eventName = "PutInsightSelectors")) }',
  },
  {
    id: "alarms-changed",
    description:
      "A metric filter or alarm was deleted, overwritten or silenced (logs DeleteMetricFilter/PutMetricFilter, cloudwatch DeleteAlarms/PutMetricAlarm/DisableAlarmActions).",
    pattern: () =>
      '{ (($.eventSource = "logs.amazonaws.com") && (($.eventName = "DeleteMetricFilter") || ($.eventName = "PutMetricFilter"))) || (($.eventSource = "monitoring.amazonaws.com") && (($.eventName = "DeleteAlarms") || ($.eventName = "PutMetricAlarm") || ($.eventName = "DisableAlarmActions"))) }',
  },
  {
    id: "root-account-use",
    description: "The account root user was used.",
    pattern: () =>
      '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
  },
];

/** CloudWatch namespace of the AMI activity metrics. */
export const METRIC_NAMESPACE = "AMIGuard";

/** Arguments of {@link AmiActivityAlarms}. */
export interface AmiActivityAlarmsArgs {
  /** Account, region, partition and environment. */
  readonly account: pulumi.Input<AccountContext>;
  /** Environment label (names and tags). */
  readonly environment: string;
  /** The trail's CloudWatch Logs group the metric filters read. */
  readonly logGroupName: pulumi.Input<string>;
  /** The AMI key watched for disabling or deletion. */
  readonly amiKeyArn: pulumi.Input<string>;
  /** KMS key encrypting the alarm topic (its policy lets CloudWatch publish). */
  readonly topicKeyArn: pulumi.Input<string>;
  /** Email subscribers of the alarm topic (each confirms the subscription). */
  readonly emails: readonly string[];
  /** Tags of every resource. */
  readonly tags: Record<string, string>;
}

/**
 * Metric filters on the trail's log group and alarms for every AMI-relevant event ({@link AMI_ACTIVITIES}),
 * notifying a KMS-encrypted SNS topic whose subscribers come from config.
 */
export class AmiActivityAlarms extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;
  readonly alarmNames: pulumi.Output<string>[];

  constructor(name: string, args: AmiActivityAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiActivityAlarms", name, {}, opts);

    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: amiGuardName(args.environment, "alarms"), kmsMasterKeyId: args.topicKeyArn, tags: args.tags },
      { parent: this },
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: pulumi
          .all([args.account, topic.arn])
          .apply(([ctx, arn]) => JSON.stringify(alarmTopicPolicy(ctx, arn))),
      },
      { parent: this },
    );
    args.emails.forEach((email, i) => {
      new aws.sns.TopicSubscription(
        `${name}-email-${i}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    });

    this.alarmNames = AMI_ACTIVITIES.map((activity) => {
      const metricName = amiGuardName(activity.id);
      const metricTransformation = {
        name: metricName,
        namespace: METRIC_NAMESPACE,
        value: "1",
        defaultValue: "0",
      };
      const filter = new aws.cloudwatch.LogMetricFilter(
        `${name}-${activity.id}-filter`,
        {
          name: amiGuardName(args.environment, activity.id),
          logGroupName: args.logGroupName,
          pattern: pulumi.output(args.amiKeyArn).apply((arn) => activity.pattern(arn)),
          metricTransformation,
        },
        { parent: this },
      );
      const more = (activity.morePatterns ?? []).map(
        (pattern, i) =>
          new aws.cloudwatch.LogMetricFilter(
            `${name}-${activity.id}-filter-${i + 2}`,
            {
              name: amiGuardName(args.environment, activity.id, String(i + 2)),
              logGroupName: args.logGroupName,
              pattern,
              metricTransformation,
            },
            { parent: this },
          ),
      );
      const alarm = new aws.cloudwatch.MetricAlarm(
        `${name}-${activity.id}-alarm`,
        {
          name: amiGuardName(args.environment, activity.id),
          alarmDescription: `AMI Guard (${args.environment}): ${activity.description}`,
          namespace: METRIC_NAMESPACE,
          metricName,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          actionsEnabled: true,
          alarmActions: [topic.arn],
          tags: args.tags,
        },
        { parent: this, dependsOn: [filter, ...more] },
      );
      return alarm.name;
    });

    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn, alarmNames: this.alarmNames });
  }
}
