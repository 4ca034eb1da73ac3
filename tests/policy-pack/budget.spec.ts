/**
 * One bounded wait for every AWS call the pack makes: SSM parameters, launch template versions and snapshot
 * owners are bounded like image look-ups (AMI_GUARD_LOOKUP_BUDGET_MS), an endpoint that timed out is not asked
 * again, and the process's default sources share that knowledge, so a hung EC2 endpoint costs one budget per
 * process whichever source meets it first.
 */
import { strict as assert } from "node:assert";
import { CallBudget, DEFAULT_LOOKUP_BUDGET_MS, processBudget } from "../../policy-pack/aws/budget";
import { Ec2TemplateSource } from "../../policy-pack/aws/launch-templates";
import { Ec2Source, type Ec2Like } from "../../policy-pack/aws/lookup";
import { referenceSourcesFromEnvironment } from "../../policy-pack/aws/references";
import { Ec2Snapshots, setSnapshotSource, snapshotSource } from "../../policy-pack/aws/snapshots";
import { SsmSource, parseParameterReference, type ParameterRef } from "../../policy-pack/aws/ssm";

const REGION = "eu-west-1";
const BUDGET_MS = 150;

/** A client that never answers (until its call is aborted), counting the calls it was sent. */
function hungClient(): Ec2Like & { calls: number; aborted: number } {
  const c = {
    calls: 0,
    aborted: 0,
    send(_command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
      c.calls++;
      return new Promise((_, reject) =>
        options?.abortSignal?.addEventListener("abort", () => {
          c.aborted++;
          reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
        }),
      );
    },
  };
  return c;
}

function ref(text: string): ParameterRef {
  const r = parseParameterReference(text);
  assert.ok(r && !("error" in r), text);
  return r;
}

describe("the look-up budget bounds every AWS call of the pack", function () {
  this.timeout(20_000);

  it("bounds an SSM GetParameters that never answers, then fails later parameters there at once", async () => {
    const client = hungClient();
    const src = new SsmSource({ clientFor: () => client, budget: new CallBudget(BUDGET_MS) });
    const first = await src.resolve(ref("resolve:ssm:/golden/web"), REGION);
    assert.equal(first.kind, "error");
    assert.match(
      (first as { cause: string }).cause,
      /LookupBudgetExceeded: no answer within 150 ms.*AMI_GUARD_LOOKUP_BUDGET_MS/,
    );
    assert.equal(client.aborted, 1, "the SDK call is aborted, not left running");
    const started = Date.now();
    const later = await src.resolve(ref("resolve:ssm:/golden/api"), REGION);
    assert.ok(Date.now() - started < BUDGET_MS, "no second wait");
    assert.match(
      (later as { cause: string }).cause,
      /SSM in eu-west-1 did not answer an earlier call .*not asked again/,
    );
    assert.equal(client.calls, 1);
  });

  it("bounds a DescribeLaunchTemplateVersions that never answers, then fails later templates there at once", async () => {
    const client = hungClient();
    const src = new Ec2TemplateSource({ clientFor: () => client, budget: new CallBudget(BUDGET_MS) });
    const first = await src.version({ id: "lt-0123456789abcdef0", version: "$Default" }, REGION);
    assert.equal(first.kind, "error");
    assert.match((first as { cause: string }).cause, /LookupBudgetExceeded/);
    const later = await src.version({ name: "web", version: "3" }, REGION);
    assert.match((later as { cause: string }).cause, /EC2 in eu-west-1 did not answer an earlier call/);
    assert.equal(client.calls, 1);
  });

  it("bounds a DescribeSnapshots that never answers, then fails later snapshots there at once", async () => {
    const client = hungClient();
    const src = new Ec2Snapshots(() => client, new CallBudget(BUDGET_MS));
    const first = await src.owner("snap-0123456789abcdef0", REGION);
    assert.deepEqual(first.kind, "error");
    assert.match((first as { cause: string }).cause, /LookupBudgetExceeded/);
    const later = await src.owner("snap-0123456789abcdef1", REGION);
    assert.match((later as { cause: string }).cause, /EC2 in eu-west-1 did not answer an earlier call/);
    assert.equal(client.calls, 1);
  });

  it("shares what it learnt: EC2 hung for images is not asked again for templates or snapshots; SSM still is", async () => {
    const budget = new CallBudget(BUDGET_MS);
    const ec2 = hungClient();
    const images = new Ec2Source({ clientFor: () => ec2, budget });
    const templates = new Ec2TemplateSource({ clientFor: () => ec2, budget });
    const snapshots = new Ec2Snapshots(() => ec2, budget);
    const ssm = hungClient();
    const parameters = new SsmSource({ clientFor: () => ssm, budget });
    const image = await images.lookup("ami-0123456789abcdef0", REGION);
    assert.equal(image.kind, "error");
    assert.equal(ec2.calls, 1);
    const t = await templates.version({ id: "lt-0123456789abcdef0", version: "$Latest" }, REGION);
    const s = await snapshots.owner("snap-0123456789abcdef0", REGION);
    for (const r of [t, s])
      assert.match((r as { cause: string }).cause, /EC2 in eu-west-1 did not answer an earlier call/);
    assert.equal(ec2.calls, 1, "the hung EC2 endpoint was asked once in all");
    await parameters.resolve(ref("resolve:ssm:/golden/web"), REGION);
    assert.equal(ssm.calls, 1, "another service's endpoint is still asked");
    const elsewhere = await templates.version({ id: "lt-0123456789abcdef0", version: "1" }, "us-east-1");
    assert.match(
      (elsewhere as { cause: string }).cause,
      /LookupBudgetExceeded/,
      "another region is still asked",
    );
    assert.equal(ec2.calls, 2);
  });

  it("keeps rows that must stay allowed: an answer within the budget is used, and the endpoint stays asked", async () => {
    let calls = 0;
    const src = new Ec2Snapshots(
      () => ({
        send: async () => {
          calls++;
          return { Snapshots: [{ SnapshotId: "snap-0123456789abcdef0", OwnerId: "111111111111" }] };
        },
      }),
      new CallBudget(BUDGET_MS),
    );
    assert.deepEqual(await src.owner("snap-0123456789abcdef0", REGION), {
      kind: "found",
      ownerId: "111111111111",
    });
    assert.deepEqual(await src.owner("snap-0123456789abcdef0", "us-east-1"), {
      kind: "found",
      ownerId: "111111111111",
    });
    assert.equal(calls, 2);
  });

  it("takes AMI_GUARD_LOOKUP_BUDGET_MS when no bound is given, else 45 s; the default sources share one budget", () => {
    const saved = process.env.AMI_GUARD_LOOKUP_BUDGET_MS;
    try {
      process.env.AMI_GUARD_LOOKUP_BUDGET_MS = "1234";
      assert.equal(new CallBudget().ms, 1234);
      process.env.AMI_GUARD_LOOKUP_BUDGET_MS = "soon";
      assert.equal(new CallBudget().ms, DEFAULT_LOOKUP_BUDGET_MS);
      assert.equal(DEFAULT_LOOKUP_BUDGET_MS, 45_000);
    } finally {
      if (saved === undefined) delete process.env.AMI_GUARD_LOOKUP_BUDGET_MS;
      else process.env.AMI_GUARD_LOOKUP_BUDGET_MS = saved;
    }
    const sources = referenceSourcesFromEnvironment(undefined) as unknown as Record<
      string,
      { budget?: unknown }
    >;
    assert.equal(sources.parameters.budget, processBudget());
    assert.equal(sources.templates.budget, processBudget());
    setSnapshotSource(undefined);
    const saved2 = process.env.AMI_GUARD_INVENTORY;
    delete process.env.AMI_GUARD_INVENTORY;
    try {
      assert.equal((snapshotSource() as unknown as { budget?: unknown }).budget, processBudget());
    } finally {
      setSnapshotSource(undefined);
      if (saved2 !== undefined) process.env.AMI_GUARD_INVENTORY = saved2;
    }
  });
});
