/**
 * Every name AMI Guard gives a resource, an IAM path, a tag or a parameter path. {@link amiGuardName} is the
 * one place the `ami-guard-…` prefix is built: resource names (`ami-guard-<env>-<what>`) and the patterns the
 * SCP and the boundary match them with (`ami-guard-*`) come from it, so they cannot drift apart.
 */
import type { RoleKind } from "./types";

/** The project's name: the prefix of every resource name, the IAM path and the `ManagedBy` tag. */
export const PROJECT = "ami-guard";
/** Tag every resource and AMI made by this stack carries, naming the project. */
export const MANAGED_BY = PROJECT;
/** IAM path of every AMI Guard role and policy. */
export const ROLE_PATH = `/${PROJECT}/`;

/**
 * The name of an AMI Guard resource: `ami-guard-<part>-<part>…`, e.g. `amiGuardName("prod", "boundary")` is
 * `ami-guard-prod-boundary`. A `*` part makes the pattern that matches every environment's resource of that
 * kind (`amiGuardName("*", "publisher")`).
 */
export function amiGuardName(...parts: string[]): string {
  return [PROJECT, ...parts].join("-");
}

export function roleName(environment: string, kind: RoleKind): string {
  return amiGuardName(environment, kind);
}

export function trailName(environment: string): string {
  return amiGuardName(environment);
}

export function trailLogGroupName(environment: string): string {
  return `/aws/cloudtrail/${amiGuardName(environment)}`;
}

/** The alias of one of the environment's keys: `ami` (AMI snapshots, fleet volumes) or `audit`. */
export function keyAliasName(environment: string, key: "ami" | "audit"): string {
  return `alias/${amiGuardName(environment, key)}`;
}

/** The pattern every AMI Guard key alias matches (`alias/ami-guard-*`). */
export const ANY_KEY_ALIAS = `alias/${amiGuardName("*")}`;

/** The function's name (and its role's and log group's), fixed so documents can name it before it exists. */
export function auditorFunctionName(environment: string): string {
  return amiGuardName(environment, "auditor");
}

/** The role's name (under {@link ROLE_PATH}); `ownerReadRoles` in the workload accounts' pack config names it. */
export const OWNER_READ_ROLE_NAME = "ami-owner-read";

/** Name of the break-glass role the SCP exempts (in every account it covers). */
export const BREAK_GLASS_ROLE_NAME = amiGuardName("break-glass");

/** The tag key that approves an image for launch: only the publisher (and the pipeline's distribution) write it. */
export const APPROVAL_TAG = "Approved";
/**
 * Provenance tags: `AmiGuardBuild` is set on build instances (and their volumes) only by Image Builder, through
 * the infrastructure configuration's resource tags; `Ec2ImageBuilderArn` is set by Image Builder on the AMIs it
 * distributes. No AMI Guard role, and under the SCP no principal but the break-glass one, may write either.
 */
export const BUILD_INSTANCE_TAG = "AmiGuardBuild";
export const PROVENANCE_TAGS = [BUILD_INSTANCE_TAG, "Ec2ImageBuilderArn"];
/** SSM parameter paths the pack and the audit resolve AMI ids from (`resolve:ssm:`): AWS's public ones and ours. */
export const AMI_PARAMETER_PATHS = ["aws/service/*", `${PROJECT}/*`];
