/**
 * ARN builders: every ARN and ARN pattern the documents name. Roles have fixed names, so their ARNs are known
 * before they exist and key policies can name them.
 */
import {
  AMI_PARAMETER_PATHS,
  amiGuardName,
  ANY_KEY_ALIAS,
  BREAK_GLASS_ROLE_NAME,
  OWNER_READ_ROLE_NAME,
  ROLE_PATH,
  auditorFunctionName,
  roleName,
  trailLogGroupName,
  trailName,
} from "./naming";
import type { AccountContext, RoleKind } from "./types";

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; `""` for a part the service leaves empty, `*` for any. */
export function arn(
  partition: string,
  service: string,
  region: string,
  account: string,
  resource: string,
): string {
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** A resource of this account in this region. */
export function accountArn(ctx: AccountContext, service: string, resource: string): string {
  return arn(ctx.partition, service, ctx.region, ctx.accountId, resource);
}

/** Every EC2 resource of `type` (`instance`, `volume`, …) of this account in this region. */
export function ec2ResourceArns(ctx: AccountContext, type: string): string {
  return accountArn(ctx, "ec2", `${type}/*`);
}

/** The account's root principal. */
export function accountRoot(ctx: AccountContext): string {
  return arn(ctx.partition, "iam", "", ctx.accountId, "root");
}

/** A role of `accountId` under {@link ROLE_PATH}. */
export function amiGuardRoleArn(partition: string, accountId: string, name: string): string {
  return arn(partition, "iam", "", accountId, `role${ROLE_PATH}${name}`);
}

/** The lifecycle role of `kind` (fixed name {@link roleName}). */
export function roleArn(ctx: AccountContext, kind: RoleKind): string {
  return amiGuardRoleArn(ctx.partition, ctx.accountId, roleName(ctx.environment, kind));
}

/** Any environment's publisher role in any account: the SCP lets only these write `Approved`. */
export function anyPublisherRoleArns(partition: string): string {
  return amiGuardRoleArn(partition, "*", roleName("*", "publisher"));
}

/** The auditor function's role. */
export function auditorRoleArn(ctx: AccountContext): string {
  return amiGuardRoleArn(ctx.partition, ctx.accountId, `${auditorFunctionName(ctx.environment)}-function`);
}

/** The image-build account's owner read role. */
export function ownerReadRoleArn(partition: string, accountId: string): string {
  return amiGuardRoleArn(partition, accountId, OWNER_READ_ROLE_NAME);
}

/** The break-glass principal the SCP exempts: the role {@link BREAK_GLASS_ROLE_NAME} in any covered account. */
export function breakGlassPrincipalArns(partition: string): string[] {
  return [arn(partition, "iam", "", "*", `role/${BREAK_GLASS_ROLE_NAME}`)];
}

export function serviceLinkedRoleArn(ctx: AccountContext, service: "imagebuilder" | "autoscaling"): string {
  const name = service === "imagebuilder" ? "AWSServiceRoleForImageBuilder" : "AWSServiceRoleForAutoScaling";
  return arn(
    ctx.partition,
    "iam",
    "",
    ctx.accountId,
    `role/aws-service-role/${service}.amazonaws.com/${name}`,
  );
}

/** The environment's trail. */
export function trailArn(ctx: AccountContext): string {
  return accountArn(ctx, "cloudtrail", `trail/${trailName(ctx.environment)}`);
}

/** Every AMI Guard trail, in any account and region. */
export function anyAmiGuardTrailArns(partition: string): string {
  return arn(partition, "cloudtrail", "*", "*", `trail/${amiGuardName("*")}`);
}

/** Every AMI Guard trail log group, in any account and region. */
export function anyAmiGuardTrailLogGroupArns(partition: string): string {
  return arn(partition, "logs", "*", "*", `log-group:${trailLogGroupName("*")}`);
}

/** Every AMI Guard alarm, in any account and region. */
export function anyAmiGuardAlarmArns(partition: string): string {
  return arn(partition, "cloudwatch", "*", "*", `alarm:${amiGuardName("*")}`);
}

/** Every AMI Guard key alias, in any account and region. */
export function anyAmiGuardKeyAliasArns(partition: string): string {
  return arn(partition, "kms", "*", "*", ANY_KEY_ALIAS);
}

/** Every alarm of this account in this region. */
export function alarmArns(ctx: AccountContext): string {
  return accountArn(ctx, "cloudwatch", "alarm:*");
}

/** Images (`image/*`) in this region, any owner. */
export function imageArns(ctx: AccountContext): string {
  return arn(ctx.partition, "ec2", ctx.region, "", "image/*");
}

/** Snapshots (`snapshot/*`) in this region, any owner. */
export function snapshotArns(ctx: AccountContext): string {
  return arn(ctx.partition, "ec2", ctx.region, "", "snapshot/*");
}

/** Images in any region, any owner. */
export function anyRegionImageArns(partition: string): string {
  return arn(partition, "ec2", "*", "", "image/*");
}

/** Snapshots in any region, any owner. */
export function anyRegionSnapshotArns(partition: string): string {
  return arn(partition, "ec2", "*", "", "snapshot/*");
}

/** AMI parameters: AWS's public ones and ours. */
export function amiParameterArns(partition: string, accountId: string): string[] {
  return [
    // `*` for the account: public parameters have none (`…::parameter/aws/service/…`); names under /aws/ are AWS's.
    arn(partition, "ssm", "*", "*", `parameter/${AMI_PARAMETER_PATHS[0]}`),
    arn(partition, "ssm", "*", accountId, `parameter/${AMI_PARAMETER_PATHS[1]}`),
  ];
}

/** The Security Hub default product of the account in its region: where the function imports findings. */
export function securityHubProductArn(ctx: AccountContext): string {
  return accountArn(ctx, "securityhub", `product/${ctx.accountId}/default`);
}

export function securityHubArn(ctx: AccountContext): string {
  return accountArn(ctx, "securityhub", "hub/default");
}

/** The EC2 endpoint of the region, as `kms:ViaService` names it. */
export function ec2Service(ctx: AccountContext): string {
  return `ec2.${ctx.region}.amazonaws.com`;
}

/** Organization id (`o-…`) of an organization or OU ARN. */
export function orgIdOf(orgOrOuArn: string): string {
  const m = /:(?:organization|ou)\/(o-[a-z0-9]+)/.exec(orgOrOuArn);
  if (!m) throw new Error(`not an organization or OU ARN: ${orgOrOuArn}`);
  return m[1];
}

/** `aws:PrincipalOrgPaths` pattern of an OU ARN: `o-…/*\/ou-…/*`. */
export function orgPathOf(ouArn: string): string {
  const m = /:ou\/(o-[a-z0-9]+)\/(ou-[a-z0-9-]+)$/.exec(ouArn);
  if (!m) throw new Error(`not an OU ARN: ${ouArn}`);
  return `${m[1]}/*/${m[2]}/*`;
}
