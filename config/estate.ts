/**
 * The estate keys of a stack: its `accountRole`, the owner read roles its pack reads shared images through
 * (`ownerReadRoles`, validated exactly as the pack validates the setting), and, for an image-build stack, who
 * may assume its own owner read role. Called by {@link parseConfig} with its helpers.
 */
import { resolveSettings, SettingsError } from "ami-guard-policies/rules/settings";
import type { AccountRole, AmiGuardConfig, ConfigKey } from "./parse";

type Fail = (key: string, problem: string) => never;
type List = (
  key: ConfigKey,
  item: (v: string) => boolean,
  what: string,
  opts?: { nonEmpty?: boolean },
) => string[];

const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ORG_PATH = /^o-[a-z0-9]{10,32}\/r-[0-9a-z]{4,32}(\/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})*\/\*?$/;
const ROLE_PATTERN = /^arn:aws[a-z-]*:iam::(\*|[0-9]{12}):role\/[\w+=,.@/*-]{1,512}$/;

export function parseEstate(
  raw: Readonly<Record<string, string>>,
  role: AccountRole,
  q: (key: ConfigKey) => string,
  fail: Fail,
  list: List,
): AmiGuardConfig["estate"] {
  let ownerReadRoles: Record<string, string> = {};
  const rolesKey = q("ownerReadRoles");
  const text = raw[rolesKey];
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail(rolesKey, `must be an object of owner account id → role ARN, got ${JSON.stringify(text)}`);
    }
    try {
      ownerReadRoles = resolveSettings({ ownerReadRoles: parsed }).ownerReadRoles;
    } catch (e) {
      if (e instanceof SettingsError) return fail(rolesKey, e.message);
      throw e;
    }
  }
  const trustKeys = [
    "ownerReadRoleOrgId",
    "ownerReadRoleOrgPaths",
    "ownerReadRolePrincipalArnPatterns",
  ] as const;
  if (role !== "image-build") {
    for (const k of trustKeys)
      if (raw[q(k)] !== undefined)
        fail(
          q(k),
          `is not used when accountRole is ${role} (only an image-build account provisions the owner read role): remove it`,
        );
    return { role, ownerReadRoles };
  }
  const organizationId = raw[q("ownerReadRoleOrgId")];
  if (organizationId === undefined)
    return fail(q("ownerReadRoleOrgId"), "is required for an image-build stack");
  if (!ORG_ID.test(organizationId))
    fail(q("ownerReadRoleOrgId"), `must be an organization id (o-…), got ${JSON.stringify(organizationId)}`);
  const organizationPaths =
    raw[q("ownerReadRoleOrgPaths")] === undefined
      ? []
      : list(
          "ownerReadRoleOrgPaths",
          (v) => ORG_PATH.test(v) && v.startsWith(`${organizationId}/`),
          `a path of ${organizationId} (${organizationId}/r-…/ou-…/*)`,
        );
  const principalArnPatterns = list(
    "ownerReadRolePrincipalArnPatterns",
    (v) => ROLE_PATTERN.test(v) && v.split(":role/")[1].replace(/[*/]/g, "").length >= 3,
    "an IAM role ARN pattern naming the deploy roles (arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer)",
    { nonEmpty: true },
  );
  return { role, ownerReadRoles, ownerReadRole: { organizationId, organizationPaths, principalArnPatterns } };
}
