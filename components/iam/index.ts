/**
 * Every IAM document AMI Guard deploys, as typed objects built by pure functions, so that tests evaluate them
 * offline (tests/iam simulates them with @cloud-copilot/iam-simulate) and the components serialise exactly
 * what was tested; and every name those documents and the components use.
 *
 * - `types`: the document types (checked against the provider's `aws.iam.PolicyDocument`) and the contexts.
 * - `naming`: the one prefix function ({@link amiGuardName}), role/trail/key/function names, tags, paths.
 * - `arns`: ARN builders.
 * - `actions`: the action lists, named.
 * - `statements`: statement builders shared by several documents.
 * - `roles`, `auditor-function`, `owner-read-role`: role policies and trusts.
 * - `key-policies`, `trail-policies`: resource policies of the keys, the trail bucket, the alarm topic.
 * - `guardrails`: the permissions boundary and the organisation SCP.
 */
export * from "./actions";
export * from "./arns";
export * from "./auditor-function";
export * from "./guardrails";
export * from "./key-policies";
export * from "./naming";
export * from "./owner-read-role";
export * from "./roles";
export * from "./statements";
export * from "./trail-policies";
export * from "./types";
