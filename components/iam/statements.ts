/**
 * Named statement builders shared by several documents: the same rule is written once, whichever document
 * carries it.
 */
import { KMS_EC2_USE_ACTIONS, TAG_ACTIONS, TAG_WRITING_ACTIONS } from "./actions";
import { anyRegionImageArns, anyRegionSnapshotArns, ec2Service } from "./arns";
import type {
  AccountContext,
  ConditionBlock,
  PolicyStatement,
  PrincipalBlock,
  SharingTargets,
} from "./types";

/** Denies writing (or removing) any of `keys` with the tag-writing actions, whatever their case. */
export function denyTagKeys(
  sid: string,
  keys: readonly string[],
  extra: ConditionBlock = {},
): PolicyStatement[] {
  return [
    {
      Sid: sid,
      Effect: "Deny",
      Action: TAG_WRITING_ACTIONS,
      Resource: "*",
      Condition: { "ForAnyValue:StringEqualsIgnoreCase": { "aws:TagKeys": [...keys] }, ...extra },
    },
    ...keys.map((k): PolicyStatement => ({
      Sid: `${sid}${k.replace(/[^A-Za-z0-9]/g, "")}RequestTag`,
      Effect: "Deny",
      Action: TAG_WRITING_ACTIONS,
      Resource: "*",
      Condition: { Null: { [`aws:RequestTag/${k}`]: "false" }, ...extra },
    })),
  ];
}

/** Using the AMI key through EC2 of this region and account, and granting it only to AWS resources. */
export function useKeyViaEc2(ctx: AccountContext, keyArn: string): PolicyStatement[] {
  return [
    {
      Sid: "UseAmiKeyThroughEc2",
      Effect: "Allow",
      Action: KMS_EC2_USE_ACTIONS,
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": ec2Service(ctx), "kms:CallerAccount": ctx.accountId } },
    },
    {
      Sid: "GrantAmiKeyToEc2Resources",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": ec2Service(ctx), "kms:CallerAccount": ctx.accountId },
        Bool: { "kms:GrantIsForAWSResource": "true" },
      },
    },
  ];
}

/**
 * Denies sharing snapshots publicly (`ec2:Add/group`) and with any account outside the allow-list
 * (`ec2:Add/userId`, which IAM evaluates for snapshots); with no allow-listed account, any account.
 */
export function snapshotSharingDenies(
  sharing: SharingTargets,
  publicSid: string,
  outsideSid: string,
): PolicyStatement[] {
  const base = { Effect: "Deny" as const, Action: "ec2:ModifySnapshotAttribute", Resource: "*" };
  return [
    { Sid: publicSid, ...base, Condition: { Null: { "ec2:Add/group": "false" } } },
    {
      Sid: outsideSid,
      ...base,
      Condition:
        sharing.accountIds.length > 0
          ? { StringNotEquals: { "ec2:Add/userId": [...sharing.accountIds] } }
          : { Null: { "ec2:Add/userId": "false" } },
    },
  ];
}

/** Denies retagging images and snapshots in any region (tags are written on create, by the builder only). */
export function neverRetagImages(sid: string, partition: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Deny",
    Action: TAG_ACTIONS,
    Resource: [anyRegionImageArns(partition), anyRegionSnapshotArns(partition)],
  };
}

/** `sts:AssumeRole` for `principal`, under `condition`. */
export function assumeRoleStatement(
  sid: string,
  principal: PrincipalBlock,
  condition?: ConditionBlock,
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: principal,
    Action: "sts:AssumeRole",
    ...(condition ? { Condition: condition } : {}),
  };
}

/** Denies every `action` on `resource` without TLS (`aws:SecureTransport`), to everybody. */
export function tlsOnly(action: string, resource: string | string[]): PolicyStatement {
  return {
    Sid: "TlsOnly",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
