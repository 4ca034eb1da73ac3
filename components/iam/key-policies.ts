/** The policies of AMI Guard's two KMS keys: the AMI key and the audit key. */
import { KMS_ADMIN_ACTIONS, KMS_CRYPTO_ACTIONS, KMS_EC2_USE_ACTIONS, KMS_LOGS_USE_ACTIONS } from "./actions";
import {
  accountArn,
  accountRoot,
  arn,
  ec2Service,
  orgIdOf,
  orgPathOf,
  roleArn,
  serviceLinkedRoleArn,
  trailArn,
} from "./arns";
import {
  policyDocument,
  type AccountContext,
  type PolicyDocument,
  type PolicyStatement,
  type SharingTargets,
} from "./types";

/** The account's IAM principals administer the key (no cryptographic use). */
function accountAdministersKey(ctx: AccountContext): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: { AWS: accountRoot(ctx) },
    Action: KMS_ADMIN_ACTIONS,
    Resource: "*",
  };
}

/**
 * The AMI key's policy: the account administers it (no cryptographic use) and grants it only to AWS
 * resources through EC2 (`kms:GrantIsForAWSResource`, `kms:ViaService`) or to Auto Scaling's service-linked
 * role — never to an arbitrary grantee, which would undo the key-based limit on sharing; the builder, deployer and the
 * Image Builder and Auto Scaling service-linked roles use it only through EC2 in this region and account;
 * allow-listed accounts, organizations and OUs use it only through EC2 (to launch shared AMIs); and every
 * cryptographic use that does not come through EC2 is denied, for everybody.
 */
export function amiKeyPolicy(ctx: AccountContext, sharing: SharingTargets): PolicyDocument {
  const via = { "kms:ViaService": ec2Service(ctx) };
  const users = [
    roleArn(ctx, "builder"),
    roleArn(ctx, "deployer"),
    serviceLinkedRoleArn(ctx, "imagebuilder"),
    serviceLinkedRoleArn(ctx, "autoscaling"),
  ];
  const sharedUse = [...KMS_EC2_USE_ACTIONS, "kms:CreateGrant"];
  const autoScaling = serviceLinkedRoleArn(ctx, "autoscaling");
  const statements: PolicyStatement[] = [
    accountAdministersKey(ctx),
    {
      Sid: "AccountGrantsKeyOnlyToEc2Resources",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { StringEquals: via, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "AccountGrantsKeyToAutoScaling",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { StringEquals: { "kms:GranteePrincipal": autoScaling } },
    },
    {
      Sid: "NoGrantsOutsideEc2",
      Effect: "Deny",
      Principal: "*",
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: {
        BoolIfExists: { "kms:GrantIsForAWSResource": "false" },
        StringNotEquals: { "kms:GranteePrincipal": autoScaling },
      },
    },
    {
      Sid: "BuildAndLaunchRolesUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: [...KMS_CRYPTO_ACTIONS, "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: { ...via, "kms:CallerAccount": ctx.accountId },
        ArnLike: { "aws:PrincipalArn": users },
      },
    },
    {
      Sid: "BuildAndLaunchRolesGrantThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: {
        StringEquals: { ...via, "kms:CallerAccount": ctx.accountId },
        ArnLike: { "aws:PrincipalArn": users },
        Bool: { "kms:GrantIsForAWSResource": "true" },
      },
    },
  ];
  if (sharing.accountIds.length > 0) {
    statements.push({
      Sid: "AllowListedAccountsUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: { StringEquals: { ...via, "kms:CallerAccount": [...sharing.accountIds] } },
    });
  }
  if (sharing.organizationArns.length > 0) {
    statements.push({
      Sid: "AllowListedOrganizationsUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: { StringEquals: { ...via, "aws:PrincipalOrgID": sharing.organizationArns.map(orgIdOf) } },
    });
  }
  if (sharing.organizationalUnitArns.length > 0) {
    statements.push({
      Sid: "AllowListedOusUseKeyThroughEc2",
      Effect: "Allow",
      Principal: "*",
      Action: sharedUse,
      Resource: "*",
      Condition: {
        StringEquals: via,
        "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": sharing.organizationalUnitArns.map(orgPathOf) },
      },
    });
  }
  statements.push({
    Sid: "DenyUseOutsideEc2",
    Effect: "Deny",
    Principal: "*",
    Action: KMS_CRYPTO_ACTIONS,
    Resource: "*",
    Condition: { StringNotEquals: via },
  });
  return policyDocument(statements);
}

/**
 * The audit key's policy (trail files, trail log group, alarm topic): the account administers it; CloudTrail
 * encrypts for this trail only; CloudWatch Logs uses it for log groups of this account; CloudWatch alarms
 * publish to the encrypted topic; the auditor decrypts trail files through S3.
 */
export function auditKeyPolicy(ctx: AccountContext): PolicyDocument {
  return policyDocument([
    accountAdministersKey(ctx),
    {
      Sid: "AccountGrantsKeyOnlyToAwsResources",
      Effect: "Allow",
      Principal: { AWS: accountRoot(ctx) },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "CloudTrailEncryptsThisTrail",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceArn": trailArn(ctx) },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": arn(
            ctx.partition,
            "cloudtrail",
            "*",
            ctx.accountId,
            "trail/*",
          ),
        },
      },
    },
    {
      Sid: "CloudTrailDescribesKey",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": trailArn(ctx) } },
    },
    {
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
      Action: KMS_LOGS_USE_ACTIONS,
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": accountArn(ctx, "logs", "log-group:*") },
      },
    },
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
    {
      Sid: "AuditorReadsTrailFilesThroughS3",
      Effect: "Allow",
      Principal: "*",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:ViaService": `s3.${ctx.region}.amazonaws.com`,
          "kms:CallerAccount": ctx.accountId,
        },
        ArnLike: { "aws:PrincipalArn": roleArn(ctx, "auditor") },
      },
    },
  ]);
}
