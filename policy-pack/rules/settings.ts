/**
 * The pack's settings: one vocabulary shared by every policy (each declares the properties it reads), by the
 * offline preview and by the audit, so that one `--policy-pack-config` file serves all three.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import type { PolicyConfigJSONSchema as JSONSchema7 } from "@pulumi/policy/schema";
import {
  ACCOUNT_ID_PATTERN,
  ACCOUNT_OR_ALIAS_PATTERN,
  KMS_KEY_ARN_PATTERN,
  ORGANIZATION_ARN_PATTERN,
  OU_ARN_PATTERN,
  ROLE_ARN_PATTERN,
} from "./patterns";

export interface AmiGuardSettings {
  /** Account ids (12 digits) or owner aliases (`amazon`, `aws-marketplace`) whose AMIs may be used. */
  trustedOwners: string[];
  /** Tag keys every AMI used or made must carry. */
  requiredTags: string[];
  /** Allowed values per tag key; a key not listed accepts any non-empty value. */
  allowedTagValues: Record<string, string[]>;
  /** Owners whose AMIs are exempt from the tag rule (AWS's own images carry none of your tags). */
  tagExemptOwners: string[];
  /** Maximum AMI age in days, counted from its creation date. */
  maxAgeDays: number;
  /** Accounts an AMI may be shared with. */
  allowedAccounts: string[];
  /** AWS Organizations ARNs an AMI may be shared with. */
  allowedOrganizations: string[];
  /** Organizational unit ARNs an AMI may be shared with. */
  allowedOrganizationalUnits: string[];
  /**
   * KMS key ARNs allowed to encrypt AMI snapshots; empty allows any key. Aliases and bare key ids are refused:
   * EC2 reports key ARNs, an alias can be re-pointed by anyone with kms:UpdateAlias, and a key id alone names
   * no account or region.
   */
  allowedKmsKeys: string[];
  /**
   * Owner account id → a read-only role in that account (`arn:aws:iam::<that id>:role/…`). For an image owned by
   * such an account, its tags and launch permissions are read as the owner sees them, through that role.
   */
  ownerReadRoles: Record<string, string>;
}

export type SettingName = keyof AmiGuardSettings;

export const DEFAULT_SETTINGS: Readonly<AmiGuardSettings> = Object.freeze({
  trustedOwners: ["amazon"],
  requiredTags: ["Version", "Environment", "Approved"],
  allowedTagValues: { Approved: ["true"] },
  tagExemptOwners: ["amazon", "aws-marketplace"],
  maxAgeDays: 90,
  allowedAccounts: [],
  allowedOrganizations: [],
  allowedOrganizationalUnits: [],
  allowedKmsKeys: [],
  ownerReadRoles: {},
});

/** An IAM role ARN; the account in it must be the owner account it is listed under (checked in resolveSettings). */
const OWNER_READ_ROLE_ARN = ROLE_ARN_PATTERN;

const accountOrAlias: JSONSchema7 = {
  type: "string",
  pattern: ACCOUNT_OR_ALIAS_PATTERN,
};

/** The JSON schema of each setting, as the engine validates `--policy-pack-config` against it. */
export const SETTING_SCHEMAS: { readonly [K in SettingName]: JSONSchema7 } = {
  trustedOwners: {
    type: "array",
    items: accountOrAlias,
    uniqueItems: true,
    description: "Account ids or owner aliases (amazon, aws-marketplace) whose AMIs may be used.",
  },
  requiredTags: {
    type: "array",
    items: { type: "string", minLength: 1, maxLength: 128 },
    uniqueItems: true,
    description: "Tag keys every AMI used or made must carry.",
  },
  allowedTagValues: {
    type: "object",
    additionalProperties: { type: "array", items: { type: "string" }, minItems: 1 },
    description: "Allowed values per tag key.",
  },
  tagExemptOwners: {
    type: "array",
    items: accountOrAlias,
    uniqueItems: true,
    description: "Owners whose AMIs are exempt from the tag rule.",
  },
  maxAgeDays: {
    type: "integer",
    minimum: 1,
    maximum: 3650,
    description: "Maximum AMI age in days.",
  },
  allowedAccounts: {
    type: "array",
    items: { type: "string", pattern: ACCOUNT_ID_PATTERN },
    uniqueItems: true,
    description: "Account ids an AMI may be shared with.",
  },
  allowedOrganizations: {
    type: "array",
    items: {
      type: "string",
      pattern: ORGANIZATION_ARN_PATTERN,
    },
    uniqueItems: true,
    description: "Organization ARNs an AMI may be shared with.",
  },
  allowedOrganizationalUnits: {
    type: "array",
    items: {
      type: "string",
      pattern: OU_ARN_PATTERN,
    },
    uniqueItems: true,
    description: "Organizational unit ARNs an AMI may be shared with.",
  },
  allowedKmsKeys: {
    type: "array",
    items: { type: "string", pattern: KMS_KEY_ARN_PATTERN },
    uniqueItems: true,
    description:
      "KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>) allowed to encrypt AMI snapshots; empty allows any key. Aliases and bare key ids are refused.",
  },
  ownerReadRoles: {
    type: "object",
    propertyNames: { pattern: ACCOUNT_ID_PATTERN },
    additionalProperties: { type: "string", pattern: OWNER_READ_ROLE_ARN },
    description:
      "Owner account id → read-only role ARN in that account: the tags and launch permissions of that account's images are read through the role, as the owner sees them.",
  },
};

/** The `configSchema` of a policy that reads `names`. */
export function configSchema(names: readonly SettingName[]): PolicyConfigSchema {
  const properties: Record<string, JSONSchema7> = {};
  for (const n of names) properties[n] = { ...SETTING_SCHEMAS[n], default: clone(DEFAULT_SETTINGS[n]) };
  return { properties };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export class SettingsError extends Error {
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(message);
    this.name = "SettingsError";
  }
}

/**
 * Checks `raw` (a policy's config, as getConfig or a config file gives it) against the setting schemas and
 * merges it over the defaults. Unknown properties other than `enforcementLevel` are rejected.
 * Throws SettingsError naming the first bad property (`where` prefixes it, e.g. the policy's name).
 */
export function resolveSettings(raw: unknown, where = ""): AmiGuardSettings {
  const out = clone(DEFAULT_SETTINGS) as AmiGuardSettings;
  if (raw === undefined || raw === null) return out;
  const prefix = where ? `${where}.` : "";
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new SettingsError(where || "(root)", `${where || "configuration"} must be an object`);
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === "enforcementLevel") continue;
    if (!(key in SETTING_SCHEMAS)) {
      throw new SettingsError(`${prefix}${key}`, `unknown property ${prefix}${key}`);
    }
    const err =
      (key === "allowedKmsKeys" ? kmsKeyProblem(value, `${prefix}${key}`) : undefined) ??
      check(value, SETTING_SCHEMAS[key as SettingName], `${prefix}${key}`);
    if (err) throw new SettingsError(`${prefix}${key}`, err);
    if (key === "ownerReadRoles") {
      for (const [account, arn] of Object.entries(value as Record<string, string>)) {
        const inArn = arn.split(":")[4];
        if (inArn !== account) {
          throw new SettingsError(
            `${prefix}${key}.${account}`,
            `${prefix}${key}.${account} is a role in account ${inArn}, not in owner account ${account}: the read role must be in the account that owns the images`,
          );
        }
      }
    }
    (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * Explains an allowedKmsKeys entry that is not a key ARN. Aliases are refused rather than resolved: anyone
 * with kms:UpdateAlias can point an alias at another key, EC2 reports the key ARN, not the alias, and
 * resolving would need kms:DescribeKey wherever the pack runs. A bare key id is refused because it names no
 * account or region: the same id in another account is another key.
 */
function kmsKeyProblem(value: unknown, path: string): string | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== "string") continue;
    if (/^alias\//.test(v) || /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:alias\//.test(v))
      return `${path}[${i}] ${JSON.stringify(v)} is a KMS alias: aliases are not accepted (anyone with kms:UpdateAlias can re-point one, and EC2 reports key ARNs). List the key ARN instead (aws kms describe-key --key-id ${v} --query KeyMetadata.Arn)`;
    if (/^(mrk-)?[0-9a-f-]{32,36}$/i.test(v))
      return `${path}[${i}] ${JSON.stringify(v)} is a bare key id: it names no account or region. List the key ARN instead (arn:aws:kms:<region>:<account>:key/${v})`;
  }
  return undefined;
}

/** A small JSON-schema check for exactly the keywords the setting schemas use. */
function check(value: unknown, schema: JSONSchema7, path: string): string | undefined {
  switch (schema.type) {
    case "string": {
      if (typeof value !== "string") return `${path} must be a string`;
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return `${path} must not be empty`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return `${path} must be at most ${schema.maxLength} characters`;
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        return `${path} ${JSON.stringify(value)} does not match ${schema.pattern}`;
      return undefined;
    }
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) return `${path} must be a whole number`;
      if (schema.minimum !== undefined && value < schema.minimum)
        return `${path} must be at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum)
        return `${path} must be at most ${schema.maximum}`;
      return undefined;
    }
    case "array": {
      if (!Array.isArray(value)) return `${path} must be a list`;
      if (schema.minItems !== undefined && value.length < schema.minItems)
        return `${path} must have at least ${schema.minItems} item(s)`;
      if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
        return `${path} must not repeat items`;
      for (let i = 0; i < value.length; i++) {
        const e = check(value[i], schema.items as JSONSchema7, `${path}[${i}]`);
        if (e) return e;
      }
      return undefined;
    }
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        return `${path} must be an object`;
      for (const [k, v] of Object.entries(value)) {
        const names = schema.propertyNames as JSONSchema7 | undefined;
        if (names?.pattern && !new RegExp(names.pattern).test(k))
          return `${path} key ${JSON.stringify(k)} does not match ${names.pattern}`;
        const e = check(v, schema.additionalProperties as JSONSchema7, `${path}.${k}`);
        if (e) return e;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
