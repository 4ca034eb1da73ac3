/**
 * The estate keys of a stack: its `accountRole`, the owner read roles its pack reads shared images through
 * (`ownerReadRoles`, validated exactly as the pack validates the setting), and, for an image-build stack, who
 * may assume its own owner read role. Their rows join the config table (config/schema.ts); the rule across
 * them is a refinement the parser runs after the per-key parse.
 */
import { ORGANIZATION_ID as ORG_ID, ORGANIZATION_PATH as ORG_PATH } from "ami-guard-policies/rules/patterns";
import { resolveSettings, SettingsError } from "ami-guard-policies/rules/settings";
import { ACCOUNT_ROLES, KeyProblem, type KeySpec, type Scope } from "./spec";

const ROLE_PATTERN = /^arn:aws[a-z-]*:iam::(\*|[0-9]{12}):role\/[\w+=,.@/*-]{1,512}$/;

/** Keys only an image-build stack reads. */
export const IMAGE_BUILD: Scope = {
  roles: ["image-build"],
  why: "only an image-build account provisions the owner read role",
};

export const ESTATE_KEYS = {
  accountRole: {
    type: "enum",
    values: ACCOUNT_ROLES,
    default: "standalone",
    secret: false,
    description:
      "`standalone` (pipeline and fleet), `image-build` (pipeline, publisher, owner read role; no fleet) or `workload` (fleet of the shared golden image; no pipeline).",
  },
  ownerReadRoles: {
    type: "map",
    what: "owner account id → role ARN",
    whenUnset: {},
    practice: 1,
    secret: false,
    description:
      "Owner account id → its owner read role ARN (an object): the pack's ownerReadRoles for this stack (a workload stack sets it).",
    parse: (v: unknown) => {
      try {
        return resolveSettings({ ownerReadRoles: v }).ownerReadRoles;
      } catch (e) {
        if (e instanceof SettingsError) throw new KeyProblem(e.message);
        throw e;
      }
    },
  },
  ownerReadRoleOrgId: {
    type: "string",
    valid: { test: ORG_ID, what: "an organization id (o-…)" },
    scope: IMAGE_BUILD,
    practice: 2,
    secret: false,
    description: "Organization id (o-…) whose principals may assume the owner read role.",
  },
  ownerReadRoleOrgPaths: {
    type: "list",
    item: { test: ORG_PATH, what: "an organization path (o-…/r-…/ou-…/*)" },
    whenUnset: [],
    scope: IMAGE_BUILD,
    practice: 2,
    secret: false,
    description:
      "aws:PrincipalOrgPaths patterns of ownerReadRoleOrgId narrowing them (optional; unset: the whole organisation).",
  },
  ownerReadRolePrincipalArnPatterns: {
    type: "list",
    item: {
      test: (v) => ROLE_PATTERN.test(v) && v.split(":role/")[1].replace(/[*/]/g, "").length >= 3,
      what: "an IAM role ARN pattern naming the deploy roles (arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer)",
    },
    nonEmpty: true,
    scope: IMAGE_BUILD,
    practice: 2,
    secret: false,
    description: "aws:PrincipalArn patterns of the deploy principals that may assume the owner read role.",
  },
} as const satisfies Record<string, KeySpec>;

/** ownerReadRoleOrgPaths are paths of ownerReadRoleOrgId: the problem, or undefined. */
export function orgPathsProblem(
  organizationId: string | undefined,
  paths: readonly string[] | undefined,
): string | undefined {
  if (organizationId === undefined || paths === undefined) return undefined;
  const i = paths.findIndex((p) => !p.startsWith(`${organizationId}/`));
  return i < 0
    ? undefined
    : `item ${i} must be a path of ${organizationId} (${organizationId}/r-…/ou-…/*), got ${JSON.stringify(paths[i])}`;
}
