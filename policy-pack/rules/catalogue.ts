/**
 * The rule catalogue: every rule AMI Guard judges, the pack's policies and the audit's account guardrails alike,
 * with its name, title, severity (and the severity of each kind of finding it reports), description,
 * remediation, the practices it enforces and the settings it reads. The policies (`policy-pack/policies/`), the
 * audit's table, JSON, SARIF and ASFF output and `docs/policies.md` (`npm run docs`) all read it, so a rule's
 * words are written once. Adding a rule: one entry here, its judging logic, its test. No I/O here.
 */
import type { SettingName } from "./settings";

export type Severity = "low" | "medium" | "high" | "critical";
export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

/** The ten practices AMI Guard makes safe as code (the README's table), by number. */
export const PRACTICES = {
  1: { title: "Only trusted AMIs", tag: "practice-1-trusted-amis" },
  2: { title: "Least privilege, no root", tag: "practice-2-least-privilege" },
  3: { title: "KMS customer-managed keys", tag: "practice-3-encryption" },
  4: { title: "Patch and replace often", tag: "practice-4-patch-and-replace" },
  5: { title: "Versioning and tagging", tag: "practice-5-tagging" },
  6: { title: "Limit sharing", tag: "practice-6-limit-sharing" },
  7: { title: "Log and monitor", tag: "practice-7-log-and-monitor" },
  8: { title: "Automated security testing", tag: "practice-8-security-testing" },
  9: { title: "Immutable infrastructure", tag: "practice-9-immutable-infrastructure" },
  10: { title: "Periodic audits", tag: "practice-10-periodic-audits" },
} as const;
export type Practice = keyof typeof PRACTICES;

/** The pack's resource policies that judge an AMI (the audit judges the first six on existing images too). */
export const RULES = {
  untrusted: "ec2-ami-disallow-untrusted-owner",
  unencrypted: "ec2-ami-require-encryption",
  untagged: "ec2-ami-require-tags",
  shared: "ec2-ami-disallow-public-sharing",
  stale: "ec2-ami-disallow-stale-image",
  missing: "ec2-ami-disallow-missing-image",
  mutable: "ec2-ami-disallow-ignore-changes",
} as const;
export type RuleName = (typeof RULES)[keyof typeof RULES];

/** The pack's stack policies. */
export const STACK_RULES = {
  traceable: "ec2-ami-require-traceable-image",
} as const;

/** The audit's account guardrail rules (judged by `ami-guard audit` only: they read account settings). */
export const GUARDRAIL_RULES = {
  ebsEncryption: "ec2-account-require-ebs-encryption-by-default",
  ebsDefaultKey: "ec2-account-require-ebs-default-kms-key",
  imageBlockPublicAccess: "ec2-account-require-image-block-public-access",
  snapshotBlockPublicAccess: "ec2-account-require-snapshot-block-public-access",
  allowedAmis: "ec2-account-require-allowed-amis",
  inspector: "ec2-account-require-inspector-scanning",
  cloudTrail: "ec2-account-require-cloudtrail",
} as const;
export type GuardrailRule = (typeof GUARDRAIL_RULES)[keyof typeof GUARDRAIL_RULES];

/** One kind of finding a rule reports, and its severity. */
export interface FindingKind {
  readonly severity: Severity;
  /** When it is reported, in a few words (docs/policies.md). */
  readonly when: string;
}

export interface CatalogueEntry {
  /**
   * `resource`: a pack resource policy; `stack`: a pack stack policy; `account`: an audit account guardrail
   * (there is no resource to attach it to in a stack, so the pack does not have it).
   */
  readonly kind: "resource" | "stack" | "account";
  /** A short title (the Pulumi Cloud console's display name). */
  readonly title: string;
  /** The requirement in one sentence (SARIF `shortDescription`, the ASFF title). */
  readonly summary: string;
  /**
   * The rule's severity: the policy's severity in the pack, the default level of the rule in SARIF. Each finding
   * has its own (`findings`), which the audit reports.
   */
  readonly severity: Severity;
  /** The pack's default enforcement level (account rules: not in the pack). */
  readonly enforcementLevel?: "mandatory" | "advisory";
  /** Every kind of finding the rule reports, with its severity. */
  readonly findings: { readonly [kind: string]: FindingKind };
  /** What it blocks (the policy's description): complete sentences. */
  readonly description: string;
  /** How to fix what it finds, as numbered steps (the policy's remediation steps). */
  readonly remediation: string;
  /** The fix in one line (SARIF `help`). */
  readonly help: string;
  /** What it judges (docs/policies.md). */
  readonly judges: string;
  readonly practices: readonly Practice[];
  /** The settings it reads from its own section of the pack configuration. */
  readonly settings: readonly SettingName[];
  /** The rule whose section supplies `settings` when this rule has no section of its own (audit). */
  readonly settingsFallback?: string;
  /** True when `ami-guard audit` judges it (on the images and accounts it reads). */
  readonly audited: boolean;
}

/** Every rule, pack policies first (in the order the pack reports them), then the account guardrails. */
export const CATALOGUE = {
  [RULES.untrusted]: {
    kind: "resource",
    title: "Disallow AMIs from untrusted owners",
    summary: "AMIs come only from trusted owners.",
    severity: "high",
    enforcementLevel: "mandatory",
    findings: {
      untrustedOwner: {
        severity: "high",
        when: "the owner (or a copy source's, recipe parent's or snapshot's owner) is not in `trustedOwners`; public community images are called out",
      },
      notAllowed: {
        severity: "high",
        when: "EC2's Allowed AMIs settings reject the image (`ImageAllowed: false`, reported in audit mode)",
      },
      allowedAmisSettings: {
        severity: "high",
        when: "Allowed AMIs settings in the stack are `disabled`, trust other providers, or have a criterion without `imageProviders`",
      },
    },
    description:
      "Blocks resources that launch, publish, copy or build on an AMI whose owner is not a trusted account or provider (including public community images and AWS-managed images when amazon is not trusted), images registered from snapshots of untrusted owners, and Allowed AMIs settings that are disabled, trust other providers or allow every provider.",
    remediation:
      "1. Use an AMI built by your golden-image pipeline or published by a trusted provider (for example amazon). 2. If the owner is legitimate, review it and add its account id or alias to trustedOwners. 3. Keep EC2 Allowed AMIs settings enabled with image providers limited to trusted owners.",
    help: "Use AMIs built by your pipeline or published by a trusted provider; community images never.",
    judges:
      "every type with a deploy, source, publish or aws-managed input; AllowedImagesSettings; unlisted types holding AMI ids; the audit: owned and in-use images",
    practices: [1],
    settings: ["trustedOwners"],
    audited: true,
  },
  [RULES.unencrypted]: {
    kind: "resource",
    title: "Require AMIs encrypted with customer-managed keys",
    summary: "AMI snapshots are encrypted, with an allowed key.",
    severity: "high",
    enforcementLevel: "mandatory",
    findings: {
      noEbsSnapshot: {
        severity: "high",
        when: "an instance-store image, or one with no EBS snapshot: nothing in it is KMS-encrypted",
      },
      unencrypted: { severity: "high", when: "a snapshot is unencrypted" },
      keyNotAllowed: {
        severity: "high",
        when: "a snapshot's key is outside `allowedKmsKeys` (or not reported)",
      },
      makesUnencrypted: {
        severity: "high",
        when: "a resource makes an AMI without encryption under a customer-managed key (AmiFromInstance cannot be verified and is blocked)",
      },
    },
    description:
      "Blocks resources that launch an AMI with unencrypted EBS snapshots or snapshots under a key that is not allowed, and resources that make AMIs without encryption under a customer-managed KMS key.",
    remediation:
      "1. Copy the AMI with encryption on and your customer-managed key (aws ec2 copy-image --encrypted --kms-key-id <key>). 2. Launch the encrypted copy. 3. Make new images encrypted: set kmsKeyId on AmiCopy and on Image Builder distributions. 4. List the permitted keys in allowedKmsKeys.",
    help: "Copy the AMI with encryption and a customer-managed KMS key.",
    judges:
      "every type with a deploy input, the makers (AmiCopy, Ami, AmiFromInstance, both providers' DistributionConfiguration), unlisted types; the audit: owned and in-use images",
    practices: [3],
    settings: ["allowedKmsKeys"],
    audited: true,
  },
  [RULES.untagged]: {
    kind: "resource",
    title: "Require version, environment and approval tags on AMIs",
    summary: "AMIs carry the required tags with allowed values.",
    severity: "low",
    enforcementLevel: "mandatory",
    findings: {
      tags: {
        severity: "low",
        when: "a `requiredTags` key is missing or empty, or a value is outside `allowedTagValues` (images being made: the keys only); owners in `tagExemptOwners` are exempt",
      },
      unreadable: {
        severity: "low",
        when: "an image another account owns and shared with this one, whose owner's tags cannot be seen here (no `ownerReadRoles` entry for the owner) or cannot be read through its owner read role (fail closed)",
      },
    },
    description:
      "Blocks resources that launch an AMI without the required tags (or with tag values that are not allowed, such as an image that is not approved), and resources that make AMIs without the required tag keys. A shared image is judged on its owner's tags, read through ownerReadRoles.",
    remediation:
      "1. Tag every image your pipeline makes with the required keys (for example Version, Environment, Approved). 2. Approve an image by setting its Approved tag only after it passed scanning and tests. 3. Launch only approved, tagged images.",
    help: "Tag images with the required tags when they are built, and approve them before use.",
    judges:
      "every type with a deploy input and the makers (not unlisted types); the audit: owned and in-use images",
    practices: [5],
    settings: ["requiredTags", "allowedTagValues", "tagExemptOwners", "ownerReadRoles"],
    audited: true,
  },
  [RULES.shared]: {
    kind: "resource",
    title: "Disallow public AMIs and sharing outside the allow-list",
    summary: "AMIs are never public nor shared outside the allow-list.",
    severity: "critical",
    enforcementLevel: "mandatory",
    findings: {
      publicPermission: {
        severity: "critical",
        when: "a launch permission shares it publicly (`group=all`)",
      },
      publicImage: {
        severity: "critical",
        when: "an image of yours (a trusted or allow-listed account, or one whose launch permissions could be read) is public",
      },
      outsideAllowList: {
        severity: "high",
        when: "a launch permission (or distribution, snapshot volume permission, fast launch, S3 export) reaches outside `allowedAccounts` / `allowedOrganizations` / `allowedOrganizationalUnits`",
      },
      unreadable: {
        severity: "high",
        when: "the launch permissions of an image that is not a provider's cannot be read (fail closed)",
      },
    },
    description:
      "Blocks public AMIs (group all), AMIs shared with accounts, organizations or OUs outside the allow-list, launches of your own images that are public, launches of your organisation's shared images whose launch permissions cannot be read, and turning image block public access off.",
    remediation:
      "1. Remove group=all launch permissions and keep image block public access at block-new-sharing in every region. 2. Share only with allowedAccounts, allowedOrganizations or allowedOrganizationalUnits. 3. Make any public image of yours private (aws ec2 modify-image-attribute --launch-permission Remove=[{Group=all}]).",
    help: "Remove public and unlisted launch permissions; keep image block public access on.",
    judges:
      "every type with a deploy/source input, AmiLaunchPermission, SnapshotCreateVolumePermission, both DistributionConfigurations, ImageBlockPublicAccess, unlisted types; the audit: owned and in-use images",
    practices: [6],
    settings: [
      "allowedAccounts",
      "allowedOrganizations",
      "allowedOrganizationalUnits",
      "trustedOwners",
      "ownerReadRoles",
    ],
    audited: true,
  },
  [RULES.stale]: {
    kind: "resource",
    title: "Disallow old, deprecated or unavailable AMIs",
    summary: "AMIs are available, not deprecated and younger than the maximum age.",
    severity: "medium",
    enforcementLevel: "mandatory",
    findings: {
      notAvailable: {
        severity: "high",
        when: "the image is not `available` (deregistered, disabled, pending, failed)",
      },
      tooOld: { severity: "medium", when: "the image is older than `maxAgeDays`" },
      deprecated: { severity: "medium", when: "the image's deprecation time has passed" },
      unreadableDate: {
        severity: "medium",
        when: "its creation date is missing, does not parse or is in the future, or its deprecation time does not parse",
      },
    },
    description:
      "Blocks resources that launch, copy or build on an AMI older than the maximum age, deprecated, or not available (deregistered, disabled, pending or failed).",
    remediation:
      "1. Rebuild the image on a patched parent (run the golden-image pipeline). 2. Roll the new AMI out by replacement (instance refresh). 3. Set deprecation times on the images you make so stale images are flagged everywhere.",
    help: "Rebuild on a patched parent and roll the new AMI out by replacement.",
    judges:
      "every type with a deploy, source or publish input, unlisted types; the audit: owned and in-use images (naming the resources that still run a stale one)",
    practices: [4],
    settings: ["maxAgeDays"],
    audited: true,
  },
  [RULES.missing]: {
    kind: "resource",
    title: "Disallow AMI ids EC2 does not know",
    summary: "AMIs in use exist in their region.",
    severity: "high",
    enforcementLevel: "mandatory",
    findings: {
      notFound: {
        severity: "high",
        when: "the AMI id (or SSM parameter, launch template version) does not exist in the resource's region, or the value is neither an AMI id nor a reference; an id unknown at preview is an advisory “checked at update”",
      },
    },
    description:
      "Blocks resources that reference an AMI id that EC2 does not know in the resource's region, an SSM parameter or launch template version that does not exist, or a value that is neither an AMI id nor a reference the pack can resolve, and reports AMI ids that are unknown until the update as checked at update.",
    remediation:
      "1. Check the AMI id and region (aws ec2 describe-images --image-ids <id> --region <region>). 2. For resolve:ssm: references, check the parameter, version or label exists and holds an AMI id (aws ssm get-parameters --names <name>). 3. For launch templates, check the template and version exist (aws ec2 describe-launch-template-versions). 4. Use an available, approved image of your golden-image pipeline.",
    help: "Move the resources to an available, approved image.",
    judges:
      "every type with a deploy, source or publish input, unlisted types; the audit: images that instances or launch templates still use",
    practices: [4],
    settings: [],
    audited: true,
  },
  [RULES.mutable]: {
    kind: "resource",
    title: "Disallow ignoring AMI changes",
    summary: "Resources never ignore changes to their AMI.",
    severity: "medium",
    enforcementLevel: "mandatory",
    findings: {
      ignored: {
        severity: "medium",
        when: "`ignoreChanges` (any property path form) covers an AMI id, an AWS-managed image type or version, or a launch template",
      },
    },
    description:
      "Blocks resources that ignore changes to their AMI, AWS-managed image version or launch template through the ignoreChanges resource option, because they keep old images running instead of rolling new ones out by replacement.",
    remediation:
      "1. Remove the AMI property (or the launch template, AMI type or release version) from ignoreChanges. 2. Let a new AMI replace the launch template version or instance, and roll fleets with an Auto Scaling instance refresh.",
    help: "Remove the AMI property from ignoreChanges and roll new AMIs out by replacement.",
    judges: "every type with a deploy, publish, aws-managed or launch-template input, unlisted types",
    practices: [9],
    settings: [],
    audited: false,
  },
  [STACK_RULES.traceable]: {
    kind: "stack",
    title: "Require AMIs unknown at preview to come from a producer in the stack",
    summary: "AMIs unknown at preview are made in the stack.",
    severity: "medium",
    enforcementLevel: "advisory",
    findings: {
      untraceable: {
        severity: "medium",
        when: "an AMI id unknown at preview that no AMI-making resource of the stack produces",
      },
    },
    description:
      "Reports resources whose AMI id is unknown at preview and is not made by an AMI-making resource of the same stack, because nothing in the preview vouches for that image before the update.",
    remediation:
      "1. Make the AMI in the stack (Image Builder image or encrypted AmiCopy) so the pack judges its producer at preview. 2. Or pin an approved AMI id in stack config so it is looked up at preview.",
    help: "Make the AMI in the stack, or pin an approved AMI id.",
    judges: "the whole stack",
    practices: [1, 9],
    settings: [],
    audited: false,
  },
  [GUARDRAIL_RULES.ebsEncryption]: {
    kind: "account",
    title: "Require EBS encryption by default",
    summary: "EBS encryption by default is on in every region.",
    severity: "high",
    findings: { off: { severity: "high", when: "EBS encryption by default is off" } },
    description:
      "Reports each region of an account where EBS encryption by default is off, because new volumes, and the snapshots of AMIs made from them, can then be unencrypted.",
    remediation:
      "1. Turn EBS encryption by default on in every region (aws ec2 enable-ebs-encryption-by-default). 2. Make a customer-managed KMS key the default (aws ec2 modify-ebs-default-kms-key-id).",
    help: "aws ec2 enable-ebs-encryption-by-default",
    judges: "each region of each account (GetEbsEncryptionByDefault)",
    practices: [3],
    settings: [],
    audited: true,
  },
  [GUARDRAIL_RULES.ebsDefaultKey]: {
    kind: "account",
    title: "Require an allowed customer-managed default EBS key",
    summary: "The default EBS key is an allowed customer-managed key.",
    severity: "medium",
    findings: {
      notAllowed: { severity: "medium", when: "the default key is outside `allowedKmsKeys`" },
      awsManaged: {
        severity: "low",
        when: "the default key is the AWS managed `alias/aws/ebs` (AMIs encrypted with it can't be shared)",
      },
    },
    description:
      "Reports each region of an account whose default EBS encryption key is not one of the allowed KMS keys, or is the AWS managed key, whose policy cannot be changed and whose AMIs cannot be shared with other accounts.",
    remediation:
      "1. Create a customer-managed KMS key (or use the one AmiEncryptionKey makes). 2. Make it the default in every region (aws ec2 modify-ebs-default-kms-key-id --kms-key-id <key>). 3. List it in allowedKmsKeys.",
    help: "aws ec2 modify-ebs-default-kms-key-id",
    judges: "each region of each account (GetEbsDefaultKmsKeyId)",
    practices: [3],
    settings: ["allowedKmsKeys"],
    settingsFallback: RULES.unencrypted,
    audited: true,
  },
  [GUARDRAIL_RULES.imageBlockPublicAccess]: {
    kind: "account",
    title: "Require image block public access",
    summary: "Image block public access is on in every region.",
    severity: "high",
    findings: { off: { severity: "high", when: "image block public access isn't `block-new-sharing`" } },
    description:
      "Reports each region of an account where image block public access is off, because any AMI there can then be made public.",
    remediation:
      "1. Turn image block public access on in every region (aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing). 2. For an organization, set it with a declarative policy.",
    help: "aws ec2 enable-image-block-public-access",
    judges: "each region of each account (GetImageBlockPublicAccessState)",
    practices: [6],
    settings: [],
    audited: true,
  },
  [GUARDRAIL_RULES.snapshotBlockPublicAccess]: {
    kind: "account",
    title: "Require snapshot block public access for all sharing",
    summary: "Snapshot block public access blocks all sharing.",
    severity: "high",
    findings: {
      unblocked: { severity: "high", when: "snapshot block public access is `unblocked`" },
      newOnly: {
        severity: "low",
        when: "it is only `block-new-sharing` (snapshots already public stay public)",
      },
    },
    description:
      "Reports each region of an account where snapshot block public access does not block all sharing, because the EBS snapshots behind AMIs can then be (or stay) public.",
    remediation:
      "1. Set snapshot block public access to block-all-sharing in every region (aws ec2 enable-snapshot-block-public-access --state block-all-sharing).",
    help: "aws ec2 enable-snapshot-block-public-access --state block-all-sharing",
    judges: "each region of each account (GetSnapshotBlockPublicAccessState)",
    practices: [6],
    settings: [],
    audited: true,
  },
  [GUARDRAIL_RULES.allowedAmis]: {
    kind: "account",
    title: "Require EC2 Allowed AMIs",
    summary: "Allowed AMIs is enabled.",
    severity: "medium",
    findings: {
      disabled: { severity: "medium", when: "Allowed AMIs is disabled" },
      auditMode: { severity: "low", when: "Allowed AMIs is in audit mode" },
    },
    description:
      "Reports each region of an account where EC2 Allowed AMIs is not enabled, because instances can then be launched from any AMI, including community images (in audit mode they are only flagged).",
    remediation:
      "1. Set image criteria for your trusted owners (aws ec2 replace-image-criteria-in-allowed-images-settings). 2. Enable Allowed AMIs (aws ec2 enable-allowed-images-settings --allowed-images-settings-state enabled).",
    help: "aws ec2 enable-allowed-images-settings",
    judges: "each region of each account (GetAllowedImagesSettings)",
    practices: [1],
    settings: [],
    audited: true,
  },
  [GUARDRAIL_RULES.inspector]: {
    kind: "account",
    title: "Require Amazon Inspector EC2 scanning",
    summary: "Amazon Inspector scans EC2 instances.",
    severity: "medium",
    findings: { off: { severity: "medium", when: "Amazon Inspector's EC2 scanning isn't enabled" } },
    description:
      "Reports each region of an account where Amazon Inspector does not scan EC2 instances, because instances launched from vulnerable AMIs then go unnoticed.",
    remediation:
      "1. Enable Inspector EC2 scanning in every region (aws inspector2 enable --resource-types EC2), or from the organization's delegated Inspector administrator.",
    help: "aws inspector2 enable --resource-types EC2",
    judges: "each region of each account (inspector2 BatchGetAccountStatus)",
    practices: [8],
    settings: [],
    audited: true,
  },
  [GUARDRAIL_RULES.cloudTrail]: {
    kind: "account",
    title: "Require a multi-region CloudTrail trail",
    summary: "A multi-region CloudTrail trail is logging, with log file validation.",
    severity: "high",
    findings: {
      noWorkingTrail: {
        severity: "high",
        when: "no multi-region trail is logging and records management write events (GetEventSelectors; a trail recording no management events or only reads does not count)",
      },
      noValidation: { severity: "medium", when: "no working multi-region trail validates its log files" },
    },
    description:
      "Reports an account without a working multi-region CloudTrail trail that records management write events and validates its log files, because image sharing, copying, guardrail changes and launches then go unrecorded or can be tampered with unnoticed. Checked once per account, from the first region; each trail's status and selectors are read in its home region.",
    remediation:
      "1. Create a multi-region trail with log file validation (aws cloudtrail create-trail --is-multi-region-trail --enable-log-file-validation), or use an organization trail. 2. Record all management events (aws cloudtrail put-event-selectors --event-selectors ReadWriteType=All,IncludeManagementEvents=true). 3. Start logging (aws cloudtrail start-logging).",
    help: "aws cloudtrail create-trail --is-multi-region-trail --enable-log-file-validation",
    judges: "each account (DescribeTrails, GetTrailStatus, GetEventSelectors)",
    practices: [7],
    settings: [],
    audited: true,
  },
} as const satisfies Record<string, CatalogueEntry>;

export type CatalogueName = keyof typeof CATALOGUE;

/** The catalogue entry of `name`, or undefined for a name that is not a rule. */
export function ruleEntry(name: string): CatalogueEntry | undefined {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, name)
    ? (CATALOGUE as Record<string, CatalogueEntry>)[name]
    : undefined;
}

/** Every rule's name, in catalogue order. */
export const RULE_NAMES: readonly CatalogueName[] = Object.keys(CATALOGUE) as CatalogueName[];

/** The rules `ami-guard audit` judges, in catalogue order (the SARIF rule list). */
export const AUDITED_RULES: readonly CatalogueName[] = RULE_NAMES.filter((n) => CATALOGUE[n].audited);

/** The kinds of finding of `rule`. */
export type FindingKindOf<R extends CatalogueName> = keyof (typeof CATALOGUE)[R]["findings"] & string;

/** A finding of `rule`, of the given kind: its severity is the catalogue's. */
export function finding<R extends CatalogueName>(f: {
  rule: R;
  kind: FindingKindOf<R>;
  message: string;
  fix: string;
}): { rule: R; severity: Severity; message: string; fix: string } {
  const k = (CATALOGUE[f.rule].findings as Record<string, FindingKind>)[f.kind];
  return { rule: f.rule, severity: k.severity, message: f.message, fix: f.fix };
}

/** The pack's tags of a rule: `ami-guard` and its practices. */
export function practiceTags(entry: CatalogueEntry): string[] {
  return ["ami-guard", ...entry.practices.map((p) => PRACTICES[p].tag)];
}
