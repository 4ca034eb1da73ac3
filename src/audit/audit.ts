/**
 * `runAudit`: reads every account and region (bounded concurrency), judges what it read with the rules core
 * and the guardrail rules, and returns the report with its completeness stated: `complete` is true only when
 * every read succeeded.
 */
import { SEVERITIES, type Severity } from "ami-guard-policies/rules/rules";
import type { ParameterValue } from "ami-guard-policies/aws/ssm";
import { UserError } from "../cli/errors";
import {
  AccountClients,
  Calls,
  callerAccount,
  defaultRegion,
  enabledRegions,
  readTrails,
  scanRegion,
  type ClientOptions,
} from "./aws";
import type { AuditConfig } from "./config";
import {
  countBySeverity,
  judgeAccountTrails,
  judgeRegionGuardrailsFor,
  judgeRegionImages,
  severityRank,
  sortFindings,
} from "./judge";
import { mapLimit } from "./limit";
import { scanGuardrails, scanImages, type AuditScope } from "./scope";
import { readOwnerViews } from "./owners";
import { sessionName } from "ami-guard-policies/aws/assume-role";
import { AssumedRoleViews, type OwnerViewSource } from "ami-guard-policies/aws/owner";
import type { AuditFinding, AuditReport, AuditSummary, OwnerSummary, RawImage, RegionScan } from "./model";

export interface AuditOptions {
  /** Regions to audit; empty means the default region (or every enabled region with allRegions). */
  regions: string[];
  allRegions: boolean;
  /** Roles to assume, one per account; empty audits the caller's own account. */
  roleArns: string[];
  config: AuditConfig;
  failOn: Severity;
  now: Date;
  /** DescribeImageAttribute (and by-id DescribeImages) calls in flight per region. */
  concurrency: number;
  /** Regions scanned at once per account. */
  regionConcurrency: number;
  client: ClientOptions;
  progress?: { add(n: number): void; tick(n?: number): void };
  /** What to audit: the whole account (default), some images by id, or the account guardrails only. */
  scope?: AuditScope;
  /** Where owners' views come from (default: the ownerReadRoles, assumed once per role for the run). */
  ownerViews?: OwnerViewSource;
}

export const DEFAULT_CLIENT: ClientOptions = {
  maxAttempts: 8,
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 20_000,
};

export async function runAudit(o: AuditOptions): Promise<AuditReport> {
  const base = o.regions[0] ?? (await defaultRegion());
  if (!base) {
    throw new UserError(
      "no AWS region: pass --region, or set AWS_REGION (or a region in the AWS_PROFILE profile)",
    );
  }
  const calls = new Calls();
  const targets: (string | undefined)[] = o.roleArns.length > 0 ? o.roleArns : [undefined];
  const findings: AuditFinding[] = [];
  const scans: RegionScan[] = [];
  const accounts: string[] = [];
  const regionsSeen = new Set<string>();
  const ownerViews = o.ownerViews ?? new AssumedRoleViews({ sessionName: sessionName(process.env, "audit") });

  for (const roleArn of targets) {
    const clients = new AccountClients(o.client, roleArn, base);
    try {
      const account = await calls.step(
        { region: base },
        roleArn
          ? `sts:AssumeRole ${roleArn} (then sts:GetCallerIdentity)`
          : "sts:GetCallerIdentity (credentials)",
        () => callerAccount(calls, clients, base),
      );
      if (account === undefined) continue;
      accounts.push(account);
      let regions = o.regions;
      if (o.allRegions) {
        const enabled = await calls.step({ account, region: base }, "ec2:DescribeRegions", () =>
          enabledRegions(calls, clients, base),
        );
        if (enabled === undefined) continue;
        regions = enabled;
      } else if (regions.length === 0) {
        regions = [base];
      }
      for (const r of regions) regionsSeen.add(r);
      const scope = o.scope ?? { kind: "account" };
      const options = { concurrency: o.concurrency, progress: o.progress };
      const [accountScans, trails] = await Promise.all([
        mapLimit(regions, o.regionConcurrency, (region) =>
          scope.kind === "images"
            ? scanImages(calls, clients, account, region, scope.imageIds, options)
            : scope.kind === "guardrails"
              ? scanGuardrails(calls, clients, account, region)
              : scanRegion(calls, clients, account, region, options),
        ),
        scope.kind === "account" ? readTrails(calls, clients, account, regions[0]) : undefined,
      ]);
      await readOwnerViews(calls, accountScans, o.config, ownerViews, o.concurrency);
      for (const scan of accountScans) {
        scans.push(scan);
        findings.push(
          ...judgeRegionImages(scan, o.config, o.now),
          ...judgeRegionGuardrailsFor(scan, o.config),
        );
      }
      if (trails !== undefined) findings.push(...judgeAccountTrails(trails, account, regions[0], o.config));
    } finally {
      clients.destroy();
    }
  }

  const sorted = sortFindings(findings);
  const threshold = severityRank(o.failOn);
  const usedIds = new Set(scans.flatMap((s) => s.uses.map((u) => `${s.account}/${s.region}/${u.imageId}`)));
  const summary: AuditSummary = {
    complete: calls.errors.length === 0,
    generatedAt: o.now.toISOString(),
    accounts,
    regions: [...regionsSeen].sort(),
    imagesScanned: scans.reduce((n, s) => n + s.owned.length, 0),
    imagesInUse: usedIds.size,
    instancesScanned: new Set(
      scans.flatMap((s) => s.uses.filter((u) => u.kind === "instance").map((u) => u.resource)),
    ).size,
    launchTemplateVersionsScanned: scans.reduce(
      (n, s) => n + s.uses.filter((u) => u.kind === "launch-template").length,
      0,
    ),
    findings: sorted.length,
    bySeverity: countBySeverity(sorted),
    failOn: o.failOn,
    failing: sorted.filter((f) => severityRank(f.severity) >= threshold).length,
    config: o.config.source,
    byOwner: byOwner(scans, sorted),
    apiCalls: Object.fromEntries(Object.entries(calls.count).sort(([a], [b]) => a.localeCompare(b))),
    errors: calls.errors,
  };
  return { findings: sorted, summary, inventory: inventoryOf(scans), parameters: parametersOf(scans) };
}

/** In-use images by owner (owned ones: the account itself; others: their OwnerId or AWS alias). */
export function byOwner(
  scans: readonly RegionScan[],
  findings: readonly AuditFinding[],
): Record<string, OwnerSummary> {
  const out: Record<string, OwnerSummary> = {};
  const ownerOf = new Map<string, string>();
  for (const s of scans) {
    const owned = new Set(s.owned.map((o) => o.image.ImageId));
    for (const id of new Set(s.uses.map((u) => u.imageId))) {
      const raw = s.used.get(id);
      const owner = owned.has(id)
        ? s.account
        : typeof raw === "object"
          ? String(raw.ImageOwnerAlias ?? raw.OwnerId ?? "(no owner)")
          : raw === "not-found"
            ? "(not found)"
            : "(not read)";
      ownerOf.set(`${s.account}/${s.region}/${id}`, owner);
      const e = (out[owner] ??= { imagesInUse: 0, findings: 0, ownerView: false });
      e.imagesInUse++;
      for (const [k, v] of s.ownerViews ?? [])
        if (k.endsWith(` ${id}`) && v.kind === "owner") e.ownerView = true;
    }
  }
  for (const f of findings) {
    const owner = f.imageId ? ownerOf.get(`${f.account}/${f.region}/${f.imageId}`) : undefined;
    if (owner) out[owner].findings++;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The describe-images inventory: owned images with their LaunchPermissions (our extension), then images in use. */
export function inventoryOf(scans: readonly RegionScan[]): RawImage[] {
  const out = new Map<string, RawImage>();
  for (const s of scans)
    for (const o of s.owned)
      if (o.image.ImageId && !out.has(o.image.ImageId))
        out.set(
          o.image.ImageId,
          o.launchPermissions ? { ...o.image, LaunchPermissions: o.launchPermissions } : { ...o.image },
        );
  for (const s of scans)
    for (const [id, v] of s.used) if (typeof v === "object" && !out.has(id)) out.set(id, { ...v });
  return [...out.values()].sort((a, b) => String(a.ImageId).localeCompare(String(b.ImageId)));
}

/** The SSM parameters every scan read, once each (by ARN, else name, and selector), sorted. */
export function parametersOf(scans: readonly RegionScan[]): ParameterValue[] {
  const out = new Map<string, ParameterValue>();
  for (const s of scans)
    for (const p of s.parameters ?? []) {
      const key = `${p.ARN ?? `${s.region}/${p.Name}`}${p.Selector ?? ""}`;
      if (!out.has(key)) out.set(key, p);
    }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}

export { SEVERITIES };
