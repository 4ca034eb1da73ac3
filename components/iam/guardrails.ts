/**
 * The documents that hold whatever else is attached: the permissions boundary of every AMI Guard role and the
 * organisation's service control policy.
 */
import {
  ACCOUNT_GUARDRAIL_ACTIONS,
  ALARM_TAMPER_ACTIONS,
  GUARDRAIL_TAMPER_ACTIONS,
  IAM_ROLE_CHANGE_ACTIONS,
  KEY_ALIAS_ACTIONS,
  KEY_TAMPER_ACTIONS,
  RECYCLE_BIN_TAMPER_ACTIONS,
  TRAIL_TAMPER_ACTIONS,
} from "./actions";
import {
  anyAmiGuardAlarmArns,
  anyAmiGuardKeyAliasArns,
  anyAmiGuardTrailArns,
  anyAmiGuardTrailLogGroupArns,
  anyPublisherRoleArns,
  arn,
  breakGlassPrincipalArns,
  roleArn,
} from "./arns";
import { ANY_KEY_ALIAS, APPROVAL_TAG, PROVENANCE_TAGS } from "./naming";
import { denyTagKeys, snapshotSharingDenies } from "./statements";
import { policyDocument, type AccountContext, type PolicyDocument, type SharingTargets } from "./types";

/**
 * The permissions boundary of every AMI Guard role: it allows at most the union of the roles' own allowed
 * actions, and denies tampering with guardrails, the trail, its filters and alarms or the keys, writing a
 * provenance tag, writing `Approved` (except the publisher), and public or non-allow-listed snapshot sharing,
 * whatever policy is attached later.
 */
export function roleBoundary(
  ctx: AccountContext,
  sharing: SharingTargets,
  roleDocs: PolicyDocument[],
): PolicyDocument {
  const allowed = new Set<string>();
  for (const d of roleDocs) {
    for (const s of d.Statement) {
      if (s.Effect !== "Allow") continue;
      for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) allowed.add(a);
    }
  }
  return policyDocument([
    { Sid: "AtMostTheRolesActions", Effect: "Allow", Action: [...allowed].sort(), Resource: "*" },
    { Sid: "NoGuardrailTampering", Effect: "Deny", Action: GUARDRAIL_TAMPER_ACTIONS, Resource: "*" },
    ...denyTagKeys("NoProvenanceTags", PROVENANCE_TAGS),
    ...denyTagKeys("OnlyThePublisherApproves", [APPROVAL_TAG], {
      ArnNotEquals: { "aws:PrincipalArn": roleArn(ctx, "publisher") },
    }),
    ...snapshotSharingDenies(sharing, "NoPublicSnapshotSharing", "NoSnapshotSharingOutsideAllowList"),
    { Sid: "NoIamChanges", Effect: "Deny", Action: IAM_ROLE_CHANGE_ACTIONS, Resource: "*" },
  ]);
}

/**
 * Organisation guardrail (service control policy). Outside the break-glass principal, nobody in a covered
 * account may: weaken an account guardrail (image or snapshot block public access, Allowed AMIs — disabled,
 * re-enabled in audit mode or its criteria replaced —, EBS encryption by default or its default key); stop,
 * delete or re-scope an AMI Guard trail (`PutEventSelectors`, `UpdateTrail`); delete, overwrite or silence its
 * metric filters and alarms; disable, delete or re-policy an AMI Guard key (by alias) or move its alias;
 * remove deregistration protection; change or delete Recycle Bin rules; write a provenance tag; or write
 * `Approved` unless it is an AMI Guard publisher role. Nobody, break-glass included, shares a snapshot with
 * `all`. Service-linked roles (Image Builder's distribution) are not subject to SCPs.
 */
export function guardrailScp(
  partition: string,
  exemptPrincipalArns: readonly string[] = breakGlassPrincipalArns(partition),
): PolicyDocument {
  const outside = { ArnNotLike: { "aws:PrincipalArn": [...exemptPrincipalArns] } };
  const logGroup = anyAmiGuardTrailLogGroupArns(partition);
  return policyDocument([
    {
      Sid: "DenyWeakeningAmiGuardrails",
      Effect: "Deny",
      Action: ACCOUNT_GUARDRAIL_ACTIONS,
      Resource: "*",
      Condition: outside,
    },
    {
      Sid: "DenyPublicSnapshotSharing",
      Effect: "Deny",
      Action: "ec2:ModifySnapshotAttribute",
      Resource: "*",
      Condition: { StringEquals: { "ec2:Add/group": "all" } },
    },
    {
      Sid: "DenyTamperingWithAmiGuardTrails",
      Effect: "Deny",
      Action: TRAIL_TAMPER_ACTIONS,
      Resource: anyAmiGuardTrailArns(partition),
      Condition: outside,
    },
    {
      Sid: "DenyTamperingWithAmiGuardFiltersAndAlarms",
      Effect: "Deny",
      Action: ALARM_TAMPER_ACTIONS,
      Resource: [logGroup, `${logGroup}:*`, anyAmiGuardAlarmArns(partition)],
      Condition: outside,
    },
    {
      Sid: "DenyTamperingWithAmiGuardKeys",
      Effect: "Deny",
      Action: KEY_TAMPER_ACTIONS,
      Resource: arn(partition, "kms", "*", "*", "key/*"),
      Condition: { ...outside, "ForAnyValue:StringLike": { "kms:ResourceAliases": ANY_KEY_ALIAS } },
    },
    {
      Sid: "DenyMovingAmiGuardKeyAliases",
      Effect: "Deny",
      Action: KEY_ALIAS_ACTIONS,
      Resource: anyAmiGuardKeyAliasArns(partition),
      Condition: outside,
    },
    {
      Sid: "DenyRemovingDeregistrationProtection",
      Effect: "Deny",
      Action: "ec2:DisableImageDeregistrationProtection",
      Resource: "*",
      Condition: outside,
    },
    {
      Sid: "DenyChangingRecycleBinRules",
      Effect: "Deny",
      Action: RECYCLE_BIN_TAMPER_ACTIONS,
      Resource: "*",
      Condition: outside,
    },
    ...denyTagKeys("DenyProvenanceTags", PROVENANCE_TAGS, outside),
    ...denyTagKeys("DenyApprovalOutsidePublishers", [APPROVAL_TAG], {
      ArnNotLike: { "aws:PrincipalArn": [...exemptPrincipalArns, anyPublisherRoleArns(partition)] },
    }),
  ]);
}
