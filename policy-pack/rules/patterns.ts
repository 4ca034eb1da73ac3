/**
 * The shapes of AWS identifiers, in one place for the pack, the audit, the auditor function and the settings'
 * JSON schemas (the `…_PATTERN` strings, as JSON schema and the engine take them). Anchored; no I/O.
 */

/** Any AWS partition: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, … */
const PARTITION = "aws[a-z-]*";

/** A 12-digit account id. */
export const ACCOUNT_ID_PATTERN = "^[0-9]{12}$";
export const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);

/** The owner aliases EC2 reports for images published by AWS and its marketplace. */
export const OWNER_ALIASES = ["amazon", "aws-marketplace", "aws-backup-vault"] as const;
/** An account id or an owner alias (trustedOwners, tagExemptOwners). */
export const ACCOUNT_OR_ALIAS_PATTERN = `^([0-9]{12}|${OWNER_ALIASES.join("|")})$`;
export const ACCOUNT_OR_ALIAS = new RegExp(ACCOUNT_OR_ALIAS_PATTERN);

/** An AMI id as EC2 makes them: `ami-` and 8 or 17 lowercase hex digits. */
export const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** An AWS region name (`us-east-1`, `us-gov-west-1`, `ap-southeast-7`). */
export const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

/** An IAM role ARN (paths allowed). */
export const ROLE_ARN_PATTERN = `^arn:${PARTITION}:iam::[0-9]{12}:role/[\\w+=,.@/-]{1,512}$`;
export const ROLE_ARN = new RegExp(ROLE_ARN_PATTERN);

/** A KMS key ARN (not an alias ARN). */
export const KMS_KEY_ARN_PATTERN = `^arn:${PARTITION}:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`;
export const KMS_KEY_ARN = new RegExp(KMS_KEY_ARN_PATTERN);

/** An AWS Organizations organization id (`o-…`) and organizational unit id (`ou-…-…`), unanchored. */
const ORG_ID = "o-[a-z0-9]{10,32}";
const OU_ID = "ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}";
/** An AWS Organizations organization id. */
export const ORGANIZATION_ID = new RegExp(`^${ORG_ID}$`);
/** An organization entity path (`o-…/r-…/ou-…/`, the `aws:PrincipalOrgPaths` shape), `*` allowed at its end. */
export const ORGANIZATION_PATH = new RegExp(`^${ORG_ID}/r-[0-9a-z]{4,32}(/${OU_ID})*/\\*?$`);
/** An AWS Organizations organization ARN. */
export const ORGANIZATION_ARN_PATTERN = `^arn:${PARTITION}:organizations::[0-9]{12}:organization/${ORG_ID}$`;
/** An AWS Organizations organizational unit ARN. */
export const OU_ARN_PATTERN = `^arn:${PARTITION}:organizations::[0-9]{12}:ou/${ORG_ID}/${OU_ID}$`;
