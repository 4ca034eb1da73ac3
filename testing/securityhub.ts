/**
 * A Security Hub (REST-JSON) and SNS (query) stand-in for the loopback endpoint of testing/ec2-server.ts:
 * an in-memory finding store that BatchImportFindings upserts (by Id), GetFindings filters and pages, and
 * BatchUpdateFindings changes the Workflow of; and a record of SNS Publish calls. Failures can be injected.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { jsonError, jsonResponse, queryResponse, type Ec2Handler } from "./ec2-server";

/** The REST routes of the Security Hub calls the auditor makes. */
export const SECURITY_HUB_ROUTES = {
  "POST /findings/import": "BatchImportFindings",
  "POST /findings": "GetFindings",
  "PATCH /findings/batchupdate": "BatchUpdateFindings",
};

export interface SecurityHubFake {
  readonly store: Map<string, AwsSecurityFinding>;
  /** Every BatchImportFindings request body, in order. */
  readonly imports: AwsSecurityFinding[][];
  /** Every BatchUpdateFindings request body. */
  readonly updates: {
    FindingIdentifiers: { Id: string; ProductArn: string }[];
    Workflow?: { Status: string };
  }[];
  /** Every SNS Publish: topic, subject and message. */
  readonly published: { TopicArn: string; Subject?: string; Message: string }[];
  /** Ids BatchImportFindings reports in FailedFindings. */
  refuse: Set<string>;
  /** When set, GetFindings answers with this error code. */
  failGetFindings?: string;
  /** Findings per GetFindings page (the request's MaxResults when smaller). */
  pageSize: number;
  handlers: Record<string, Ec2Handler>;
  /** The active findings' Ids. */
  active(): string[];
}

type Filter = { Value?: string; Key?: string; Comparison?: string };

function matches(f: AwsSecurityFinding, filters: Record<string, Filter[]>): boolean {
  for (const [field, list] of Object.entries(filters)) {
    for (const c of list) {
      if (c.Comparison !== "EQUALS") throw new Error(`fake supports EQUALS only, got ${c.Comparison}`);
      const value =
        field === "ProductFields"
          ? f.ProductFields?.[String(c.Key)]
          : ((f as unknown as Record<string, unknown>)[field] as string | undefined);
      if (value !== c.Value) return false;
    }
  }
  return true;
}

export function securityHubFake(): SecurityHubFake {
  const fake: SecurityHubFake = {
    store: new Map(),
    imports: [],
    updates: [],
    published: [],
    refuse: new Set(),
    pageSize: 100,
    handlers: {},
    active: () =>
      [...fake.store.values()]
        .filter((f) => f.RecordState === "ACTIVE")
        .map((f) => String(f.Id))
        .sort(),
  };
  fake.handlers = {
    BatchImportFindings: (r) => {
      const body = r.json as { Findings: AwsSecurityFinding[] };
      if (body.Findings.length > 100)
        return jsonError("InvalidInputException", "Findings: at most 100 per request", 400);
      fake.imports.push(body.Findings);
      const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
      for (const f of body.Findings) {
        if (fake.refuse.has(String(f.Id))) {
          failed.push({ Id: String(f.Id), ErrorCode: "InvalidInput", ErrorMessage: "refused by the test" });
          continue;
        }
        const old = fake.store.get(String(f.Id));
        const reopened = old?.RecordState === "ARCHIVED" && f.RecordState === "ACTIVE";
        fake.store.set(String(f.Id), {
          ...f,
          Workflow: old && !reopened ? old.Workflow : (f.Workflow ?? { Status: "NEW" }),
        });
      }
      return {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({
          FailedCount: failed.length,
          SuccessCount: body.Findings.length - failed.length,
          FailedFindings: failed,
        }),
      };
    },
    GetFindings: (r) => {
      if (fake.failGetFindings) return jsonError(fake.failGetFindings, "GetFindings failed (test)", 400);
      const body = r.json as { Filters?: Record<string, Filter[]>; MaxResults?: number; NextToken?: string };
      const all = [...fake.store.values()].filter((f) => matches(f, body.Filters ?? {}));
      const size = Math.min(fake.pageSize, body.MaxResults ?? 100);
      const start = body.NextToken ? Number(body.NextToken) : 0;
      const next = start + size < all.length ? String(start + size) : undefined;
      return jsonResponse({ Findings: all.slice(start, start + size), NextToken: next });
    },
    BatchUpdateFindings: (r) => {
      const body = r.json as SecurityHubFake["updates"][number];
      fake.updates.push(body);
      for (const id of body.FindingIdentifiers) {
        const f = fake.store.get(id.Id);
        if (f && body.Workflow) f.Workflow = { Status: body.Workflow.Status as "RESOLVED" };
      }
      return jsonResponse({
        ProcessedFindings: body.FindingIdentifiers,
        UnprocessedFindings: [],
      });
    },
    Publish: (r) => {
      fake.published.push({
        TopicArn: r.params.TopicArn,
        Subject: r.params.Subject,
        Message: r.params.Message,
      });
      return queryResponse(
        "Publish",
        { MessageId: `00000000-0000-4000-8000-${String(fake.published.length).padStart(12, "0")}` },
        "http://sns.amazonaws.com/doc/2010-03-31/",
      );
    },
  };
  return fake;
}
