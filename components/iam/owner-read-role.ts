/**
 * The IAM documents of the image-build account's owner read role (components/ami-owner-read-role.ts):
 * tests/iam/owner-read-role.spec.ts simulates exactly what the component deploys. The role lets the
 * organisation's deploy principals, and nobody else, read what only an image's owner can see — its tags and
 * launch permissions — and nothing more.
 */
import { ORGANIZATION_ID } from "ami-guard-policies/rules/patterns";
import { OWNER_READ_ACTIONS } from "./actions";
import { anyRegionImageArns } from "./arns";
import { assumeRoleStatement } from "./statements";
import { policyDocument, type PolicyDocument } from "./types";

/** Who may assume the role: principals of one organisation (optionally some of its OUs) whose ARN matches. */
export interface OwnerReadTrust {
  /** The organisation's id (`o-…`): `aws:PrincipalOrgID`. */
  readonly organizationId: string;
  /** `aws:PrincipalOrgPaths` patterns (`o-…/r-…/ou-…/*`) narrowing the organisation; empty: the whole organisation. */
  readonly organizationPaths: readonly string[];
  /** `aws:PrincipalArn` patterns (ArnLike), e.g. `arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer`. */
  readonly principalArnPatterns: readonly string[];
}

/**
 * The role's trust policy: `sts:AssumeRole` only, by a principal of the organisation (and its listed OUs)
 * whose ARN matches a configured pattern. Principal `*` is narrowed by the conditions; all of them must hold.
 */
export function ownerReadTrustPolicy(t: OwnerReadTrust): PolicyDocument {
  if (!ORGANIZATION_ID.test(t.organizationId)) throw new Error(`not an organization id: ${t.organizationId}`);
  if (t.principalArnPatterns.length === 0)
    throw new Error("the owner read role needs principal ARN patterns");
  for (const p of t.organizationPaths)
    if (!p.startsWith(`${t.organizationId}/`))
      throw new Error(`organization path ${p} is not in organization ${t.organizationId}`);
  return policyDocument([
    assumeRoleStatement(
      "OrganisationDeployPrincipals",
      { AWS: "*" },
      {
        StringEquals: { "aws:PrincipalOrgID": t.organizationId },
        ArnLike: { "aws:PrincipalArn": [...t.principalArnPatterns] },
        ...(t.organizationPaths.length > 0
          ? { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": [...t.organizationPaths] } }
          : {}),
      },
    ),
  ]);
}

/**
 * The role's permissions: describe images (no resource-level permissions exist for it) and read an image's
 * attributes (launch permissions). Nothing that changes an image, reads a snapshot or launches anything.
 */
export function ownerReadPolicy(partition: string): PolicyDocument {
  return policyDocument([
    { Sid: "DescribeImages", Effect: "Allow", Action: "ec2:DescribeImages", Resource: "*" },
    {
      Sid: "ReadImageAttributes",
      Effect: "Allow",
      Action: "ec2:DescribeImageAttribute",
      Resource: anyRegionImageArns(partition),
    },
  ]);
}

/** The role's permissions boundary: exactly the two reads, whatever policy is attached to the role later. */
export function ownerReadBoundary(): PolicyDocument {
  return policyDocument([
    { Sid: "AtMostImageReads", Effect: "Allow", Action: [...OWNER_READ_ACTIONS], Resource: "*" },
  ]);
}
