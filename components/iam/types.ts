/**
 * The types of every IAM document AMI Guard creates. They are plain JSON-shaped objects (so tests simulate
 * exactly what is deployed) and, checked at compile time, the provider's own `aws.iam.PolicyDocument` and
 * `aws.iam.PolicyStatement`: a document that does not fit the provider's type does not build.
 */
import type * as aws from "@pulumi/aws";

/** Compile-time check: `T` is a statement the provider accepts (`aws.iam.PolicyStatement`). */
type ProviderStatement<T extends aws.iam.PolicyStatement> = T;
/** Compile-time check: `T` is a document the provider accepts (`aws.iam.PolicyDocument`). */
type ProviderDocument<T extends aws.iam.PolicyDocument> = T;

/** One kind of principal per block (the provider's `AWSPrincipal` or `ServicePrincipal`), or anybody. */
export type PrincipalBlock =
  "*" | { AWS: string | string[]; Service?: never } | { Service: string | string[]; AWS?: never };
export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export type PolicyStatement = ProviderStatement<{
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: PrincipalBlock;
  Action: string | string[];
  /** Omitted only in trust policies. */
  Resource?: string | string[];
  Condition?: ConditionBlock;
}>;

export type PolicyDocument = ProviderDocument<{
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}>;

/** Where the documents apply. */
export interface AccountContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly environment: string;
}

/** The allow-listed sharing targets (accounts, organization ARNs, OU ARNs). */
export interface SharingTargets {
  readonly accountIds: readonly string[];
  readonly organizationArns: readonly string[];
  readonly organizationalUnitArns: readonly string[];
}

export type RoleKind = "builder" | "publisher" | "deployer" | "auditor";
export const ROLE_KINDS: readonly RoleKind[] = ["builder", "publisher", "deployer", "auditor"];

/** A document of these statements (the only version IAM evaluates every condition of). */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}
