/**
 * The policy pack settings that follow from one of our stacks, as a pure function of its stack config: the
 * accounts it builds in and trusts, the targets it may share AMIs with, its maximum AMI age and its owners' read
 * roles. One function serves every path that needs them: `ami-guard pack-config --stack <env>` (which writes
 * them for `pulumi preview/up --policy-pack-config`, in CI too), the offline preview of our own stacks, and the
 * program's AMI auditor (index.ts).
 */
import { ACCOUNT_OR_ALIAS } from "ami-guard-policies/rules/patterns";
import { RULES } from "ami-guard-policies/rules/rules";
import { ConfigError } from "./errors";
import { parseConfig, type AmiGuardConfig } from "./parse";
import { NAMESPACE } from "./schema";

/** A `--policy-pack-config` document: policy name → its properties. */
export type PackSettings = Record<string, Record<string, unknown>>;

/** Whether `project` is this repository's own program, whose stack config the pack settings derive from. */
export function isOwnProject(project: string): boolean {
  return project === NAMESPACE;
}

/** A list-valued config entry (`["a","b"]` as the engine hands it over); [] when absent or not a JSON list. */
export function configList(v: string | undefined): string[] {
  if (!v) return [];
  try {
    const l = JSON.parse(v) as unknown;
    return Array.isArray(l) ? l.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * The pack settings of one of our stacks from its config (`namespace:key` → string, as the engine hands it to
 * the program). Throws ConfigError, naming `stackFile` (the file the values were read from) when given.
 */
export function packSettingsForStack(
  config: Readonly<Record<string, string>>,
  stack: string,
  stackFile?: string,
): PackSettings {
  let c: AmiGuardConfig;
  try {
    c = parseConfig(config, stack);
  } catch (e) {
    if (e instanceof ConfigError && stackFile) throw new ConfigError(e.key, stackFile, e.problem);
    throw e;
  }
  return packSettingsOf(c, configList(config["aws:allowedAccountIds"]));
}

/** The same document from the validated config and `aws:allowedAccountIds` (the program's AMI auditor uses it). */
export function packSettingsOf(c: AmiGuardConfig, allowedAccountIds: readonly string[]): PackSettings {
  const trusted = [...new Set(["amazon", ...c.guardrails.allowedImageProviders, ...allowedAccountIds])];
  const trustedOwners = trusted.filter((o) => ACCOUNT_OR_ALIAS.test(o));
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
