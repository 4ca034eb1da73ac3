/**
 * The policy pack configuration that follows from one of our own stacks: the accounts it builds in and trusts,
 * the targets it may share AMIs with, and its maximum AMI age. `ami-guard preview` uses it when no
 * `--policy-pack-config` is given, and `--write-policy-pack-config` writes it for
 * `pulumi preview --policy-pack policy-pack --policy-pack-config <file>`, so both paths judge with one config.
 */
import { UserError } from "../cli/errors";
import { ConfigError, NAMESPACE, parseConfig, type AmiGuardConfig } from "../../config";
import { RULES } from "ami-guard-policies/rules/rules";
import { configList } from "./protocol";

const OWNER = /^([0-9]{12}|amazon|aws-marketplace|aws-backup-vault)$/;

/** Whether `project` is this repository's own program, whose stack config the pack config derives from. */
export function isOwnProject(project: string): boolean {
  return project === NAMESPACE;
}

/** The `--policy-pack-config` document for one of our stacks (policy name → properties). */
export function policyConfigForStack(
  config: Record<string, string>,
  stack: string,
  /** The stack config file the values were read from (`--config-file`), named in errors. */
  stackFile?: string,
): Record<string, Record<string, unknown>> {
  let c;
  try {
    c = parseConfig(config, stack);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new UserError(stackFile ? new ConfigError(e.key, stackFile, e.problem).message : e.message);
    throw e;
  }
  return policyConfigOf(c, configList(config["aws:allowedAccountIds"]));
}

/** The same document from the validated config and `aws:allowedAccountIds` (the program's AMI auditor uses it). */
export function policyConfigOf(
  c: AmiGuardConfig,
  allowedAccountIds: readonly string[],
): Record<string, Record<string, unknown>> {
  const trusted = [...new Set(["amazon", ...c.guardrails.allowedImageProviders, ...allowedAccountIds])];
  const trustedOwners = trusted.filter((o) => OWNER.test(o));
  // A workload stack reads shared images' tags and launch permissions through the owners' read roles; the
  // sharing policy then also knows whose images are ours (it fails closed on an unmapped trusted owner).
  const owners = Object.keys(c.estate.ownerReadRoles).length > 0;
  const ownerReadRoles = owners ? { ownerReadRoles: { ...c.estate.ownerReadRoles } } : {};
  return {
    [RULES.untrusted]: { trustedOwners },
    ...(owners ? { [RULES.untagged]: ownerReadRoles } : {}),
    [RULES.shared]: {
      allowedAccounts: [...c.sharing.accountIds],
      allowedOrganizations: [...c.sharing.organizationArns],
      allowedOrganizationalUnits: [...c.sharing.organizationalUnitArns],
      ...(owners ? { trustedOwners, ...ownerReadRoles } : {}),
    },
    [RULES.stale]: { maxAgeDays: c.ami.maxAgeDays },
  };
}
