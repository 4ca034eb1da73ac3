/**
 * The audit's CloudTrail rule: how it judges a region's trails (multi-region, logging, log file validation),
 * and which management events a trail records (GetEventSelectors).
 */
import assert from "node:assert/strict";
import { judgeTrails, managementEventsOf, type TrailFacts } from "../../policy-pack/rules/guardrails";

const mgmt = (
  ...more: { Field: string; Equals?: string[]; NotEquals?: string[]; StartsWith?: string[] }[]
) => [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, ...more] }];

/** A multi-region trail that logs, validates its log files and records all management events. */
const t = (over: Partial<TrailFacts>): TrailFacts => ({
  name: "main",
  multiRegion: true,
  organization: false,
  logFileValidation: true,
  logging: true,
  managementEvents: "all",
  ...over,
});

describe("the audit's CloudTrail rule", () => {
  it("wants a logging multi-region trail with log file validation", () => {
    assert.deepEqual(judgeTrails([t({})], "1", "us-east-1"), []);
    assert.deepEqual(judgeTrails([t({ managementEvents: "write" })], "1", "us-east-1"), []);
    assert.match(judgeTrails([], "1", "us-east-1")[0].message, /has no multi-region CloudTrail trail/);
    assert.match(judgeTrails([t({ multiRegion: false })], "1", "us-east-1")[0].message, /no multi-region/);
    const stopped = judgeTrails([t({ logging: false })], "1", "us-east-1");
    assert.equal(stopped[0].severity, "high");
    assert.match(stopped[0].message, /main is stopped/);
    assert.equal(judgeTrails([t({ logFileValidation: false })], "1", "us-east-1")[0].severity, "medium");
    assert.deepEqual(
      judgeTrails([t({ logging: undefined })], "1", "us-east-1"),
      [],
      "an unread status is an audit error, not a finding",
    );
  });
});

describe("trail event selectors", () => {
  it("reads basic selectors: management events default on, read/write type default All", () => {
    assert.equal(managementEventsOf([{}], undefined), "all");
    assert.equal(
      managementEventsOf([{ ReadWriteType: "All", IncludeManagementEvents: true }], undefined),
      "all",
    );
    assert.equal(managementEventsOf([{ ReadWriteType: "WriteOnly" }], undefined), "write");
    assert.equal(managementEventsOf([{ ReadWriteType: "ReadOnly" }], undefined), "read-only");
    assert.equal(managementEventsOf([{ IncludeManagementEvents: false }], undefined), "none");
    assert.equal(managementEventsOf([], undefined), "none");
    assert.equal(managementEventsOf(undefined, undefined), "none");
    assert.equal(managementEventsOf([{ ReadWriteType: "Sometimes" }], undefined), "none", "unknown type");
    assert.equal(
      managementEventsOf([{ ReadWriteType: "ReadOnly" }, { ReadWriteType: "WriteOnly" }], undefined),
      "write",
      "the widest selector counts",
    );
  });

  it("reads advanced selectors and fails closed on any narrowing it does not recognise", () => {
    assert.equal(managementEventsOf(undefined, mgmt()), "all");
    assert.equal(managementEventsOf(undefined, mgmt({ Field: "readOnly", Equals: ["false"] })), "write");
    assert.equal(managementEventsOf(undefined, mgmt({ Field: "readOnly", Equals: ["true"] })), "read-only");
    assert.equal(
      managementEventsOf(undefined, mgmt({ Field: "eventSource", NotEquals: ["rdsdata.amazonaws.com"] })),
      "all",
      "excluding an unwatched source still records EC2",
    );
    assert.equal(
      managementEventsOf(undefined, mgmt({ Field: "eventSource", NotEquals: ["ec2.amazonaws.com"] })),
      "none",
      "excluding EC2",
    );
    assert.equal(
      managementEventsOf(undefined, mgmt({ Field: "eventSource", NotEquals: ["kms.amazonaws.com"] })),
      "none",
      "excluding KMS (the key alarms)",
    );
    assert.equal(
      managementEventsOf(undefined, mgmt({ Field: "eventName", Equals: ["RunInstances"] })),
      "none",
    );
    assert.equal(managementEventsOf(undefined, mgmt({ Field: "eventSource", StartsWith: ["s3"] })), "none");
    assert.equal(
      managementEventsOf(undefined, [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Data"] }] }]),
      "none",
      "data events only",
    );
    assert.equal(managementEventsOf(undefined, [{}]), "none");
  });

  it("a logging multi-region trail that records no management events, or only reads, is not a working trail", () => {
    assert.deepEqual(judgeTrails([t({})], "1", "us-east-1"), []);
    for (const [events, why] of [
      ["none", /main records no management events/],
      ["read-only", /main records only read events/],
    ] as const) {
      const f = judgeTrails([t({ managementEvents: events })], "1", "us-east-1");
      assert.equal(f.length, 1);
      assert.equal(f[0].severity, "high");
      assert.match(f[0].message, why);
      assert.match(f[0].fix, /put-event-selectors/);
    }
    assert.deepEqual(
      judgeTrails(
        [t({ managementEvents: "read-only" }), t({ name: "second", managementEvents: "write" })],
        "1",
        "x",
      ),
      [],
      "one working trail is enough",
    );
    assert.deepEqual(
      judgeTrails([t({ managementEvents: undefined })], "1", "us-east-1"),
      [],
      "unread selectors are an audit error (the report is partial), not a finding",
    );
  });
});
