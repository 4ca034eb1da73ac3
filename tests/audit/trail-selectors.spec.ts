/** Which management events a trail records (GetEventSelectors), and how the CloudTrail rule judges it. */
import assert from "node:assert/strict";
import { judgeTrails, managementEventsOf, type TrailFacts } from "../../policy-pack/rules/guardrails";

const mgmt = (
  ...more: { Field: string; Equals?: string[]; NotEquals?: string[]; StartsWith?: string[] }[]
) => [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, ...more] }];

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
    const t = (over: Partial<TrailFacts>): TrailFacts => ({
      name: "main",
      multiRegion: true,
      organization: false,
      logFileValidation: true,
      logging: true,
      managementEvents: "all",
      ...over,
    });
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
