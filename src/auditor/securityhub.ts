/**
 * Keeps Security Hub in step with the audit: imports this run's findings (BatchImportFindings, 100 at a time;
 * the same Id updates the finding), and resolves the AMI Guard findings that were active before but are gone
 * now — only where this run looked and every read succeeded, so a failed read never closes a finding.
 * Resolved means RecordState ARCHIVED and Compliance PASSED (the provider's fields), then Workflow RESOLVED
 * (BatchUpdateFindings, the customer's field).
 */
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { describeError } from "ami-guard-policies/aws/lookup";
import { TOOL, TOOL_FIELD } from "../audit/asff";

export const CHUNK = 100;

export interface SyncResult {
  /** Ids of this run's findings that were not active before (new, or back after being resolved). */
  newIds: Set<string>;
  /** True when the active findings could be listed (otherwise nothing was resolved). */
  listed: boolean;
  imported: number;
  resolved: string[];
  /** Findings Security Hub refused, and calls that failed: each names the finding or the call and why. */
  failures: string[];
}

/** The active AMI Guard findings of `productArn`, every page. */
export async function activeFindings(
  client: SecurityHubClient,
  productArn: string,
): Promise<AwsSecurityFinding[]> {
  const out: AwsSecurityFinding[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const r = await client.send(
      new GetFindingsCommand({
        Filters: {
          ProductArn: [{ Value: productArn, Comparison: "EQUALS" }],
          RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
          ProductFields: [{ Key: TOOL_FIELD, Value: TOOL, Comparison: "EQUALS" }],
        },
        MaxResults: 100,
        NextToken: token,
      }),
    );
    out.push(...(r.Findings ?? []));
    token = r.NextToken || undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new Error(`GetFindings repeated NextToken ${token}`);
      seen.add(token);
    }
  } while (token !== undefined);
  return out;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Imports `current` and resolves the previously active findings for which `resolvable` is true and that
 * `current` no longer has. Never throws: failures are returned.
 */
export async function syncFindings(
  client: SecurityHubClient,
  productArn: string,
  current: readonly AwsSecurityFinding[],
  resolvable: (f: AwsSecurityFinding) => boolean,
  now: Date,
): Promise<SyncResult> {
  const failures: string[] = [];
  let previous: AwsSecurityFinding[] | undefined;
  try {
    previous = await activeFindings(client, productArn);
  } catch (e) {
    failures.push(`securityhub:GetFindings: ${describeError(e)} (nothing resolved this run)`);
  }
  const before = new Map((previous ?? []).map((f) => [f.Id, f]));
  const at = now.toISOString();
  const ids = new Set(current.map((f) => f.Id));

  const toImport: AwsSecurityFinding[] = current.map((f) => {
    const old = before.get(f.Id);
    if (!old) return f;
    // An update keeps when it was first seen; Workflow belongs to the customer once the finding exists.
    const { Workflow: _workflow, ...rest } = f;
    void _workflow;
    return {
      ...rest,
      CreatedAt: old.CreatedAt ?? f.CreatedAt,
      FirstObservedAt: old.FirstObservedAt ?? f.FirstObservedAt,
    };
  });
  const gone = (previous ?? []).filter((f) => !ids.has(f.Id) && resolvable(f));
  for (const f of gone) {
    const { Workflow: _workflow, ...rest } = f;
    void _workflow;
    toImport.push({
      ...rest,
      RecordState: "ARCHIVED",
      Compliance: { ...f.Compliance, Status: "PASSED" },
      UpdatedAt: at,
    });
  }

  let imported = 0;
  const refused = new Set<string>();
  for (const batch of chunks(toImport)) {
    try {
      const r = await client.send(new BatchImportFindingsCommand({ Findings: batch }));
      imported += r.SuccessCount ?? 0;
      for (const f of r.FailedFindings ?? []) {
        refused.add(String(f.Id));
        failures.push(
          `securityhub:BatchImportFindings refused ${f.Id}: ${f.ErrorCode ?? "?"} ${f.ErrorMessage ?? ""}`.trim(),
        );
      }
    } catch (e) {
      for (const f of batch) refused.add(String(f.Id));
      failures.push(`securityhub:BatchImportFindings (${batch.length} findings): ${describeError(e)}`);
    }
  }

  const resolved = gone.filter((f) => !refused.has(String(f.Id)));
  for (const batch of chunks(resolved)) {
    try {
      const r = await client.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: batch.map((f) => ({ Id: f.Id, ProductArn: f.ProductArn })),
          Workflow: { Status: "RESOLVED" },
        }),
      );
      for (const u of r.UnprocessedFindings ?? [])
        failures.push(
          `securityhub:BatchUpdateFindings refused ${u.FindingIdentifier?.Id}: ${u.ErrorCode ?? "?"} ${u.ErrorMessage ?? ""}`.trim(),
        );
    } catch (e) {
      failures.push(`securityhub:BatchUpdateFindings (${batch.length} findings): ${describeError(e)}`);
    }
  }

  return {
    newIds: new Set(current.filter((f) => !before.has(f.Id)).map((f) => String(f.Id))),
    listed: previous !== undefined,
    imported,
    resolved: resolved.map((f) => String(f.Id)),
    failures,
  };
}
