/**
 * The auditor's handler in-process, on EventBridge events in their real shapes, against the loopback account
 * (EC2, STS, CloudTrail, Inspector, Security Hub and SNS): findings imported, updated on a re-run, resolved
 * when fixed; remediation removing exactly the bad launch permissions; partial audits as findings.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { INCOMPLETE_RULE, CONFIG_RULE } from "../../src/audit/asff";
import { handler } from "../../src/auditor/handler";
import { ec2Error, type Ec2Handler } from "../../testing/ec2-server";
import { regionOf } from "../../testing/world";
import { assertAsffRequired, runCli } from "../audit/support";
import {
  ACCOUNT,
  ALLOWED,
  CONTEXT,
  GOOD,
  OUTSIDE,
  POLICY_CONFIG,
  PUBLIC,
  STRANGER,
  TOPIC,
  UNENCRYPTED,
  event,
  image,
  quietly,
  useLoopback,
  world,
} from "./support";

const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const id = (resource: string, rule: string, region = "us-east-1") =>
  `ami-guard/${ACCOUNT}/${region}/${resource}/${rule}`;
const SHARED = "ec2-ami-disallow-public-sharing";
const ENCRYPTION = "ec2-ami-require-encryption";

async function run(ev: unknown) {
  return (await quietly(() => handler(ev, CONTEXT))).value;
}

/** Every required ASFF field present and of the right type, and the values this account's findings must have. */
function checkAsff(f: AwsSecurityFinding): void {
  assertAsffRequired(f);
  assert.equal(f.SchemaVersion, "2018-10-08");
  assert.equal(f.ProductArn, PRODUCT);
  assert.match(f.AwsAccountId!, /^[0-9]{12}$/);
  for (const t of [f.CreatedAt, f.UpdatedAt, f.FirstObservedAt, f.LastObservedAt])
    assert.ok(!Number.isNaN(Date.parse(String(t))) && /Z$/.test(String(t)), `timestamp ${t}`);
  assert.ok(f.Title!.length <= 256 && f.Description!.length <= 1024);
  assert.ok(Array.isArray(f.Types) && f.Types.every((t) => /^[^/]+(\/[^/]+){0,2}$/.test(t)));
  assert.ok(["LOW", "MEDIUM", "HIGH", "CRITICAL"].includes(String(f.Severity?.Label)));
  assert.ok(Array.isArray(f.Resources) && f.Resources.length >= 1 && f.Resources.length <= 32);
  for (const r of f.Resources!) {
    assert.ok(r.Type === "Other" || r.Type === "AwsAccount", `resource type ${r.Type}`);
    assert.equal(typeof r.Id, "string");
    if (r.Type === "Other") assert.match(r.Id!, /^arn:aws:ec2:[a-z0-9-]+::image\/ami-[0-9a-f]+$/);
    else assert.equal(r.Id, `AWS::::Account:${f.AwsAccountId}`);
  }
  assert.equal(f.Compliance?.Status, f.RecordState === "ARCHIVED" ? "PASSED" : "FAILED");
  assert.ok(Object.keys(f.ProductFields ?? {}).length <= 50);
}

describe("auditor handler: scheduled audit into Security Hub", function () {
  this.timeout(60_000);
  const loopback = useLoopback();

  it("imports one finding per image and rule, in ASFF, with stable Ids; alarms on new high and critical ones", async () => {
    const lb = await loopback(world());
    const r = await run(event("scheduled"));
    assert.equal(r.scope, "account");
    assert.equal(r.complete, true);
    const active = lb.hub.active();
    assert.deepEqual(active, [id(OUTSIDE, SHARED), id(PUBLIC, SHARED), id(UNENCRYPTED, ENCRYPTION)].sort());
    for (const f of lb.hub.store.values()) checkAsff(f);
    const pub = lb.hub.store.get(id(PUBLIC, SHARED))!;
    assert.equal(pub.GeneratorId, SHARED);
    assert.equal(pub.Severity?.Label, "CRITICAL");
    assert.equal(pub.Resources![0].Id, `arn:aws:ec2:us-east-1::image/${PUBLIC}`);
    assert.equal(pub.Workflow?.Status, "NEW");
    assert.equal(pub.RecordState, "ACTIVE");
    assert.equal(lb.hub.store.get(id(OUTSIDE, SHARED))!.Severity?.Label, "HIGH");
    assert.match(lb.hub.store.get(id(OUTSIDE, SHARED))!.Description!, new RegExp(STRANGER));
    // high and critical (all three) reach the alarm topic, once
    assert.equal(lb.hub.published.length, 1);
    assert.equal(lb.hub.published[0].TopicArn, TOPIC);
    for (const i of [PUBLIC, OUTSIDE, UNENCRYPTED]) assert.match(lb.hub.published[0].Message, new RegExp(i));
    assert.doesNotMatch(lb.hub.published[0].Message, new RegExp(GOOD));
    // read-only without remediation
    assert.equal(lb.modifications.length, 0);
  });

  it("finds, in ASFF, every bad AMI the CLI audit finds (same Ids as `ami-guard audit --format asff`)", async () => {
    const lb = await loopback(world());
    await run(event("scheduled"));
    const cfg = path.join(os.tmpdir(), `ami-guard-auditor-cfg-${process.pid}.json`);
    fs.writeFileSync(cfg, POLICY_CONFIG);
    const cli = await runCli(["audit", "--region", "us-east-1", "--format", "asff", "--config", cfg]);
    assert.equal(cli.code, 1, cli.stderr);
    const printed = (JSON.parse(cli.stdout) as { Findings: AwsSecurityFinding[] }).Findings;
    for (const f of printed) checkAsff(f);
    assert.deepEqual(printed.map((f) => f.Id).sort(), lb.hub.active());
  });

  it("updates the same findings on a second run (no duplicates, first-seen time kept, no second alarm)", async () => {
    const lb = await loopback(world());
    await run(event("scheduled"));
    const first = lb.hub.store.get(id(PUBLIC, SHARED))!;
    lb.hub.store.get(id(PUBLIC, SHARED))!.Workflow = { Status: "NOTIFIED" }; // a person triaged it
    await new Promise((r) => setTimeout(r, 5));
    await run(event("scheduled"));
    assert.equal(lb.hub.store.size, 3);
    assert.equal(lb.hub.imports.length, 2);
    assert.deepEqual(lb.hub.imports[1].map((f) => f.Id).sort(), lb.hub.imports[0].map((f) => f.Id).sort());
    const again = lb.hub.store.get(id(PUBLIC, SHARED))!;
    assert.equal(again.CreatedAt, first.CreatedAt);
    assert.notEqual(again.UpdatedAt, first.UpdatedAt);
    assert.ok(
      lb.hub.imports[1].every((f) => f.Workflow === undefined),
      "an update never overwrites the workflow",
    );
    assert.equal(again.Workflow?.Status, "NOTIFIED");
    assert.equal(lb.hub.published.length, 1, "nothing new, no second alarm");
  });

  it("resolves a finding whose problem is gone, and only that one", async () => {
    const w = world();
    const lb = await loopback(w);
    await run(event("scheduled"));
    const region = w.accounts[ACCOUNT].regions["us-east-1"];
    region.launchPermissions![OUTSIDE] = [{ UserId: ALLOWED }];
    const r = await run(event("scheduled"));
    assert.equal(r.resolved, 1);
    const gone = lb.hub.store.get(id(OUTSIDE, SHARED))!;
    assert.equal(gone.RecordState, "ARCHIVED");
    assert.equal(gone.Compliance?.Status, "PASSED");
    assert.equal(gone.Workflow?.Status, "RESOLVED");
    checkAsff(gone);
    assert.deepEqual(lb.hub.active(), [id(PUBLIC, SHARED), id(UNENCRYPTED, ENCRYPTION)].sort());
    assert.deepEqual(lb.hub.updates.at(-1)!.FindingIdentifiers, [
      { Id: id(OUTSIDE, SHARED), ProductArn: PRODUCT },
    ]);
  });

  it("imports and resolves in chunks of 100", async () => {
    const w = world();
    const plain = {
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-0p", Encrypted: false } }],
    };
    for (let i = 0; i < 130; i++)
      w.accounts[ACCOUNT].regions["us-east-1"].owned.push(
        image(`ami-0c${String(i).padStart(15, "0")}`, plain),
      );
    const lb = await loopback(w);
    await run(event("scheduled"));
    assert.deepEqual(
      lb.hub.imports.map((b) => b.length),
      [100, 33],
    );
    w.accounts[ACCOUNT].regions["us-east-1"].owned.splice(4);
    lb.hub.pageSize = 40; // GetFindings pages followed
    const r = await run(event("scheduled"));
    assert.equal(r.resolved, 130);
    assert.deepEqual(
      lb.hub.updates.map((u) => u.FindingIdentifiers.length),
      [100, 30],
    );
    assert.equal(lb.hub.active().length, 3);
  });
});

describe("auditor handler: CloudTrail events", function () {
  this.timeout(60_000);
  const loopback = useLoopback();

  it("ModifyImageAttribute making an image public audits that one image within the event", async () => {
    const lb = await loopback(world());
    const r = await run(event("modify-image-attribute-public"));
    assert.equal(r.scope, "images");
    assert.match(r.reason, /ModifyImageAttribute of ami-0bad0000000000001 in us-east-1/);
    assert.deepEqual(lb.hub.active(), [id(PUBLIC, SHARED)]);
    assert.equal(lb.server.calls.DescribeImageAttribute, 1);
    assert.equal(lb.server.calls.DescribeInstances, undefined, "no full scan for one image");
    assert.match(lb.hub.published[0].Message, /is public/);
  });

  it("an image event never resolves findings of other images", async () => {
    const lb = await loopback(world());
    await run(event("scheduled"));
    await run(event("modify-image-attribute-public"));
    assert.equal(lb.hub.active().length, 3);
  });

  it("CreateImage and CopyImage audit the new image (responseElements), not CopyImage's source", async () => {
    const lb = await loopback(world());
    const r = await run(event("create-image"));
    assert.deepEqual(lb.hub.active(), [id(UNENCRYPTED, ENCRYPTION)]);
    assert.equal(r.scope, "images");
    const c = await run(event("copy-image"));
    assert.doesNotMatch(c.reason, /ami-0aaaaaaaaaaaaaaaa/);
    assert.match(c.reason, /CopyImage of ami-0bad0000000000003/);
  });

  it("EnableImage (request wrapped in EnableImageRequest) audits its image", async () => {
    const lb = await loopback(world());
    const r = await run(event("enable-image"));
    assert.match(r.reason, /EnableImage of ami-0bad0000000000001/);
    assert.deepEqual(lb.hub.active(), [id(PUBLIC, SHARED)]);
  });

  it("DisableImageBlockPublicAccess audits the region's guardrails", async () => {
    const w = world();
    w.accounts[ACCOUNT].regions["us-east-1"].imageBlockPublicAccess = "unblocked";
    const lb = await loopback(w);
    const r = await run(event("disable-image-block-public-access"));
    assert.equal(r.scope, "guardrails");
    assert.deepEqual(lb.hub.active(), [id("account", "ec2-account-require-image-block-public-access")]);
    assert.equal(lb.server.calls.DescribeImages, undefined);
    assert.equal(
      lb.hub.store.get(id("account", "ec2-account-require-image-block-public-access"))!.Resources![0].Type,
      "AwsAccount",
    );
  });

  it("a failed CreateImage that named no image changes nothing and is skipped", async () => {
    const lb = await loopback(world());
    const r = await run(event("create-image-failed"));
    assert.equal(lb.server.calls.total, 0);
    assert.match(r.reason, /failed \(Client.UnauthorizedOperation\)/);
  });
});

describe("auditor handler: remediation", function () {
  this.timeout(60_000);
  const loopback = useLoopback();

  it("removes exactly the public and non-allow-listed launch permissions, logs and reports each", async () => {
    const w = world();
    const lb = await loopback(w, { AMI_GUARD_REMEDIATE: "true" });
    const { value: r, lines } = await quietly(() => handler(event("scheduled"), CONTEXT));
    const byImage = Object.fromEntries(lb.modifications.map((m) => [m.imageId, m]));
    assert.deepEqual(Object.keys(byImage).sort(), [PUBLIC, OUTSIDE].sort());
    assert.deepEqual(byImage[PUBLIC].remove, [{ Group: "all" }]);
    assert.deepEqual(byImage[OUTSIDE].remove, [{ UserId: STRANGER }]);
    assert.ok(lb.modifications.every((m) => m.add === 0));
    // what stays: the allow-listed account's permission
    assert.deepEqual(w.accounts[ACCOUNT].regions["us-east-1"].launchPermissions![OUTSIDE], [
      { UserId: ALLOWED },
    ]);
    assert.deepEqual(w.accounts[ACCOUNT].regions["us-east-1"].launchPermissions![PUBLIC], [
      { UserId: ALLOWED },
    ]);
    assert.deepEqual(
      r.remediations.map((x) => [x.imageId, x.ok]).sort(),
      [
        [OUTSIDE, true],
        [PUBLIC, true],
      ].sort(),
    );
    assert.equal(lines.filter((l) => l.event === "remediated").length, 2);
    // judged again after the fix: only the unencrypted image is left
    assert.deepEqual(lb.hub.active(), [id(UNENCRYPTED, ENCRYPTION)]);
    assert.match(lb.hub.published[0].Message, /REMEDIATED ami-0bad0000000000001/);
  });

  it("a failed removal is logged, reported, and the finding stays", async () => {
    const lb = await loopback(
      world(),
      { AMI_GUARD_REMEDIATE: "true" },
      {
        wrap: (h) => ({
          ...h,
          ModifyImageAttribute: () =>
            ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."),
        }),
      },
    );
    const r = await run(event("scheduled"));
    assert.ok(r.remediations.every((x) => !x.ok && /UnauthorizedOperation/.test(String(x.error))));
    assert.ok(lb.hub.active().includes(id(PUBLIC, SHARED)));
    assert.match(lb.hub.published[0].Message, /REMEDIATION FAILED/);
  });

  it("stays off unless AMI_GUARD_REMEDIATE is exactly true (a bad value is a finding)", async () => {
    const lb = await loopback(world(), { AMI_GUARD_REMEDIATE: "yes" });
    const r = await run(event("scheduled"));
    assert.equal(lb.modifications.length, 0);
    assert.equal(r.remediations.length, 0);
    assert.ok(lb.hub.active().includes(id("auditor", CONFIG_RULE)));
  });
});

describe("auditor handler: never silent", function () {
  this.timeout(60_000);
  const loopback = useLoopback();

  it("a failing region is a partial-audit finding, and nothing there is resolved", async () => {
    const failing: (h: Record<string, Ec2Handler>) => Record<string, Ec2Handler> = (h) =>
      Object.fromEntries(
        Object.entries(h).map(([k, fn]) => [
          k,
          (req) =>
            regionOf(req) === "eu-west-1"
              ? ec2Error("InternalError", "An internal error has occurred", 500)
              : fn(req),
        ]),
      );
    const w = world(["eu-west-1"]);
    const lb = await loopback(w, { AMI_GUARD_REGIONS: "us-east-1,eu-west-1" }, { wrap: failing });
    // an active finding in eu-west-1 from an earlier run must survive this one
    await run(event("scheduled"));
    const earlier = lb.hub.store.get(id(PUBLIC, SHARED))!;
    const stale = { ...earlier, Id: id("ami-0eee0000000000001", SHARED, "eu-west-1"), Region: "eu-west-1" };
    lb.hub.store.set(String(stale.Id), stale);
    const r = await run(event("scheduled"));
    assert.equal(r.complete, false);
    const partial = lb.hub.store.get(id("audit", INCOMPLETE_RULE, "eu-west-1"))!;
    checkAsff(partial);
    assert.equal(partial.Severity?.Label, "HIGH");
    assert.match(partial.Description!, /partial/);
    assert.match(partial.Description!, /InternalError/);
    assert.equal(lb.hub.store.get(String(stale.Id))!.RecordState, "ACTIVE");
    assert.equal(lb.hub.store.get(id("audit", INCOMPLETE_RULE, "us-east-1")), undefined);
  });

  it("throttling that outlasts the retries is a partial-audit finding, not silence", async () => {
    const lb = await loopback(
      world(),
      {},
      {
        wrap: (h) => ({
          ...h,
          DescribeImageAttribute: (req) =>
            req.params.ImageId === OUTSIDE
              ? ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503)
              : h.DescribeImageAttribute(req),
        }),
      },
    );
    const r = await run(event("scheduled"));
    assert.equal(r.complete, false);
    const partial = lb.hub.store.get(id("audit", INCOMPLETE_RULE))!;
    assert.match(partial.Description!, /RequestLimitExceeded/);
    assert.match(partial.Description!, /DescribeImageAttribute/);
    assert.ok(lb.hub.published.some((p) => /could not audit/.test(p.Message)));
  });

  it("the partial-audit finding is resolved by the next complete run", async () => {
    let throttle = true;
    const lb = await loopback(
      world(),
      {},
      {
        wrap: (h) => ({
          ...h,
          GetEbsEncryptionByDefault: (req) =>
            throttle
              ? ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503)
              : h.GetEbsEncryptionByDefault(req),
        }),
      },
    );
    await run(event("scheduled"));
    assert.ok(lb.hub.active().includes(id("audit", INCOMPLETE_RULE)));
    throttle = false;
    await run(event("scheduled"));
    assert.equal(lb.hub.store.get(id("audit", INCOMPLETE_RULE))!.RecordState, "ARCHIVED");
  });

  it("a malformed AMI_GUARD_POLICY_CONFIG is a finding; the audit still runs on the pack's defaults", async () => {
    const lb = await loopback(world(), {
      AMI_GUARD_POLICY_CONFIG: '{"ec2-ami-disallow-stale-image": {"maxAgeDays": "soon"}}',
    });
    const r = await run(event("scheduled"));
    assert.equal(r.problems.length, 1);
    const f = lb.hub.store.get(id("auditor", CONFIG_RULE))!;
    checkAsff(f);
    assert.match(f.Description!, /AMI_GUARD_POLICY_CONFIG/);
    // the defaults trust only amazon and allow no sharing: stricter, never looser
    assert.ok(lb.hub.active().includes(id(GOOD, "ec2-ami-disallow-untrusted-owner")));
    assert.ok(lb.hub.active().includes(id(GOOD, SHARED)));
  });

  it("a Security Hub refusal fails the invocation (Lambda retries, DLQ, error alarm), naming the finding", async () => {
    const lb = await loopback(world());
    lb.hub.refuse.add(id(PUBLIC, SHARED));
    await assert.rejects(
      quietly(() => handler(event("scheduled"), CONTEXT)),
      new RegExp(`refused ${id(PUBLIC, SHARED)}`),
    );
  });

  it("when the active findings cannot be listed, nothing is resolved and every high finding is alarmed", async () => {
    const lb = await loopback(world());
    await run(event("scheduled"));
    lb.hub.failGetFindings = "AccessDeniedException";
    await assert.rejects(
      quietly(() => handler(event("scheduled"), CONTEXT)),
      /GetFindings/,
    );
    assert.equal(lb.hub.active().length, 3);
    assert.equal(lb.hub.published.length, 2);
  });
});
