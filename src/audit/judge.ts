/**
 * Pure judging of what the audit read: the core's AMI rules, each with its own policy's settings, over the
 * images an account owns and the images its instances and launch templates use; then the guardrail rules.
 */
import { factsFromImage, type AmiFacts, type LaunchPermissionsResult } from "ami-guard-policies/rules/facts";
import {
  RULES,
  SEVERITIES,
  judgeEncryption,
  judgeFreshness,
  judgeMissing,
  judgeSharing,
  judgeTags,
  judgeTrust,
  type Finding,
  type Severity,
} from "ami-guard-policies/rules/rules";
import { judgeSharingSeen, judgeTagsSeen, seenFrom } from "ami-guard-policies/aws/owner";
import type { AuditConfig } from "./config";
import {
  judgeRegionGuardrails,
  judgeTrails,
  type GuardrailRule,
  type TrailFacts,
} from "ami-guard-policies/rules/guardrails";
import type { AuditFinding, RegionScan } from "./model";

/**
 * An image in use that `scan.account` may not own: the tag and sharing rules judge the view that counts — the
 * owner's (read through ownerReadRoles), or this account's, saying what it cannot see when another owns it.
 */
export function judgeUsedImage(f: AmiFacts, scan: RegionScan, cfg: AuditConfig, now: Date): Finding[] {
  const out: Finding[] = [];
  const seen = (rule: string) => {
    const s = cfg.settingsFor(rule);
    const role = f.ownerId ? s.ownerReadRoles[f.ownerId] : undefined;
    const view = role ? scan.ownerViews?.get(`${role} ${f.imageId}`) : undefined;
    return { s, seen: seenFrom(f, scan.account, s, view) };
  };
  if (cfg.enabled(RULES.untrusted)) out.push(...judgeTrust(f, cfg.settingsFor(RULES.untrusted)));
  if (cfg.enabled(RULES.unencrypted)) out.push(...judgeEncryption(f, cfg.settingsFor(RULES.unencrypted)));
  if (cfg.enabled(RULES.untagged)) {
    const t = seen(RULES.untagged);
    out.push(...judgeTagsSeen(t.seen, f.imageId, scan.region, t.s));
  }
  if (cfg.enabled(RULES.shared)) {
    const t = seen(RULES.shared);
    out.push(...judgeSharingSeen(t.seen, f.imageId, scan.region, t.s));
  }
  if (cfg.enabled(RULES.stale)) out.push(...judgeFreshness(f, cfg.settingsFor(RULES.stale), now));
  return out;
}

/** Every AMI rule, each judged with its own policy's settings (judgeAmi's rules, in its order). */
export function judgeImage(
  f: AmiFacts,
  cfg: AuditConfig,
  now: Date,
  sharing?: LaunchPermissionsResult,
  region?: string,
): Finding[] {
  const out: Finding[] = [];
  if (cfg.enabled(RULES.untrusted)) out.push(...judgeTrust(f, cfg.settingsFor(RULES.untrusted)));
  if (cfg.enabled(RULES.unencrypted)) out.push(...judgeEncryption(f, cfg.settingsFor(RULES.unencrypted)));
  if (cfg.enabled(RULES.untagged)) out.push(...judgeTags(f, cfg.settingsFor(RULES.untagged)));
  if (cfg.enabled(RULES.shared)) out.push(...judgeSharing(f, cfg.settingsFor(RULES.shared), sharing, region));
  if (cfg.enabled(RULES.stale)) out.push(...judgeFreshness(f, cfg.settingsFor(RULES.stale), now));
  return out;
}

const LISTED_USERS = 5;

function users(list: string[]): string {
  const shown = list.slice(0, LISTED_USERS).join(", ");
  return list.length > LISTED_USERS ? `${shown} and ${list.length - LISTED_USERS} more` : shown;
}

/** The image findings of one region: owned images, then in-use images the account does not own. */
export function judgeRegionImages(scan: RegionScan, cfg: AuditConfig, now: Date): AuditFinding[] {
  const usedBy = new Map<string, string[]>();
  for (const u of scan.uses) {
    const list = usedBy.get(u.imageId) ?? [];
    if (!list.includes(u.resource)) list.push(u.resource);
    usedBy.set(u.imageId, list);
  }
  const out: AuditFinding[] = [];
  const add = (imageId: string, findings: Finding[], owner?: string) => {
    const inUse = usedBy.get(imageId);
    for (const f of findings) {
      const stillUsed = inUse && (f.rule === RULES.stale || f.rule === RULES.missing);
      out.push({
        account: scan.account,
        region: scan.region,
        imageId,
        resource: imageId,
        rule: f.rule,
        severity: f.severity,
        message: stillUsed
          ? `${f.message} It is still in use by ${inUse.length} resource(s): ${users(inUse)}.`
          : f.message,
        fix: f.fix,
        ...(inUse ? { usedBy: [...inUse] } : {}),
        ...(owner ? { owner } : {}),
      });
    }
  };
  const seen = new Set<string>();
  for (const o of scan.owned) {
    const facts = factsFromImage(
      o.launchPermissions
        ? { ...o.image, LaunchPermissions: o.launchPermissions }
        : { ...o.image, LaunchPermissions: undefined },
    );
    if (!facts || seen.has(facts.imageId)) continue;
    seen.add(facts.imageId);
    // An owned image whose launch permissions could not be read cannot be called private: fail closed.
    const sharing: LaunchPermissionsResult = o.launchPermissions
      ? { kind: "known", permissions: o.launchPermissions }
      : { kind: "error", cause: o.launchPermissionsError ?? "its launch permissions were not read" };
    add(facts.imageId, judgeImage(facts, cfg, now, sharing, scan.region), scan.account);
  }
  for (const [imageId, got] of [...scan.used].sort(([a], [b]) => a.localeCompare(b))) {
    if (seen.has(imageId) || got === "error") continue;
    seen.add(imageId);
    if (got === "not-found") {
      if (cfg.enabled(RULES.missing)) add(imageId, [judgeMissing(imageId, scan.region)]);
      continue;
    }
    const facts = factsFromImage({ ...got, LaunchPermissions: undefined });
    if (facts) add(imageId, judgeUsedImage(facts, scan, cfg, now), facts.ownerAlias ?? facts.ownerId);
  }
  return out;
}

function guardrailFinding(
  account: string,
  region: string,
  f: { rule: GuardrailRule; severity: Severity; message: string; fix: string },
): AuditFinding {
  return {
    account,
    region,
    resource: "account",
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
  };
}

/** The guardrail findings of one region. */
export function judgeRegionGuardrailsFor(scan: RegionScan, cfg: AuditConfig): AuditFinding[] {
  return judgeRegionGuardrails(scan.guardrails, scan.account, scan.region, (r) => cfg.settingsFor(r))
    .filter((f) => cfg.enabled(f.rule))
    .map((f) => guardrailFinding(scan.account, scan.region, f));
}

/** The CloudTrail findings of one account (its trails as seen from `region`). */
export function judgeAccountTrails(
  trails: readonly TrailFacts[],
  account: string,
  region: string,
  cfg: AuditConfig,
): AuditFinding[] {
  return judgeTrails(trails, account, region)
    .filter((f) => cfg.enabled(f.rule))
    .map((f) => guardrailFinding(account, region, f));
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** Most severe first, then by account, region, resource, rule and message: a stable, diffable order. */
export function sortFindings(findings: AuditFinding[]): AuditFinding[] {
  return [...findings].sort(
    (a, b) =>
      RANK[b.severity] - RANK[a.severity] ||
      a.account.localeCompare(b.account) ||
      a.region.localeCompare(b.region) ||
      (a.resource === "account" ? 0 : 1) - (b.resource === "account" ? 0 : 1) ||
      a.resource.localeCompare(b.resource) ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}

export function countBySeverity(findings: readonly AuditFinding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}
