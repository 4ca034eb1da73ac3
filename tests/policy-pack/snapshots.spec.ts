/**
 * `aws.ec2.Ami` registered from EBS snapshots: the snapshot's owner must be a trusted owner. Its owner comes
 * from EC2 DescribeSnapshots (a mock client here) or the inventory's `Snapshots`; anything else fails closed.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ec2AmiDisallowUntrustedOwner as policy } from "../../policy-pack/policies/ec2-ami-disallow-untrusted-owner";
import {
  Ec2Snapshots,
  InventorySnapshots,
  setSnapshotSource,
  type SnapshotLookup,
} from "../../policy-pack/aws/snapshots";
import { UNKNOWN, runPolicy, useImages } from "../helpers/policy";

const OURS = "snap-0000000000000000a";
const FOREIGN = "snap-0000000000000000b";
const GONE = "snap-0000000000000000c";
const BROKEN = "snap-0000000000000000d";

const answers: Record<string, SnapshotLookup> = {
  [OURS]: { kind: "found", ownerId: "111111111111" },
  [FOREIGN]: { kind: "found", ownerId: "999999999999" },
  [GONE]: { kind: "not-found" },
  [BROKEN]: { kind: "error", cause: "UnauthorizedOperation: not allowed" },
};

const ami = (...snapshotIds: unknown[]) => ({
  type: "aws:ec2/ami:Ami",
  props: {
    name: "registered",
    rootDeviceName: "/dev/xvda",
    ebsBlockDevices: snapshotIds.map((snapshotId, i) => ({
      deviceName: `/dev/xvd${"abc"[i]}`,
      snapshotId,
      encrypted: true,
    })),
  },
  providerProps: { region: "us-east-1" },
  config: { trustedOwners: ["amazon", "111111111111"] },
});

describe("aws.ec2.Ami registered from snapshots", () => {
  beforeEach(() => {
    useImages([]);
    setSnapshotSource({ owner: async (id) => answers[id] ?? { kind: "not-found" } });
  });
  after(() => setSnapshotSource(undefined));

  it("passes snapshots of a trusted owner, and leaves snapshots unknown at preview to the update", async () => {
    assert.deepEqual((await runPolicy(policy, ami(OURS))).violations, []);
    assert.deepEqual((await runPolicy(policy, ami(UNKNOWN))).violations, []);
    assert.deepEqual((await runPolicy(policy, ami())).violations, []);
  });

  it("blocks a snapshot that is not ours, naming snapshot, owner and path", async () => {
    const r = await runPolicy(policy, ami(OURS, FOREIGN));
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], new RegExp(FOREIGN));
    assert.match(r.violations[0], /999999999999/);
    assert.match(r.violations[0], /ebsBlockDevices\[1\]\.snapshotId/);
  });

  it("fails closed when the snapshot is unknown to EC2 or its owner cannot be read", async () => {
    const gone = await runPolicy(policy, ami(GONE));
    assert.equal(gone.violations.length, 1);
    assert.match(gone.violations[0], /not found in us-east-1/);
    const broken = await runPolicy(policy, ami(BROKEN));
    assert.equal(broken.violations.length, 1);
    assert.match(broken.violations[0], /UnauthorizedOperation/);
  });
});

describe("snapshot owners from EC2 and from an inventory", () => {
  const client = (answer: (input: { SnapshotIds?: string[] }) => unknown) => ({
    calls: 0,
    async send(command: unknown) {
      this.calls++;
      const input = (command as { input: { SnapshotIds?: string[] } }).input;
      const a = answer(input);
      if (a instanceof Error) throw a;
      return a;
    },
  });

  it("reads the owner DescribeSnapshots reports, once per snapshot and region", async () => {
    const c = client((i) => ({ Snapshots: [{ SnapshotId: i.SnapshotIds![0], OwnerId: "999999999999" }] }));
    const src = new Ec2Snapshots(() => c);
    assert.deepEqual(await src.owner(FOREIGN, "us-east-1"), { kind: "found", ownerId: "999999999999" });
    await src.owner(FOREIGN, "us-east-1");
    assert.equal(c.calls, 1);
  });

  it("maps InvalidSnapshot.NotFound to not found and every other failure or malformed answer to an error", async () => {
    const notFound = Object.assign(new Error("gone"), { name: "InvalidSnapshot.NotFound" });
    assert.deepEqual(await new Ec2Snapshots(() => client(() => notFound)).owner(GONE, "us-east-1"), {
      kind: "not-found",
    });
    const denied = Object.assign(new Error("no"), { name: "UnauthorizedOperation" });
    const r = await new Ec2Snapshots(() => client(() => denied)).owner(GONE, "us-east-1");
    assert.equal(r.kind, "error");
    for (const bad of [{ Snapshots: "x" }, { Snapshots: [{ SnapshotId: GONE }] }]) {
      assert.equal((await new Ec2Snapshots(() => client(() => bad)).owner(GONE, "us-east-1")).kind, "error");
    }
    assert.deepEqual(
      await new Ec2Snapshots(() => client(() => ({ Snapshots: [] }))).owner(GONE, "us-east-1"),
      {
        kind: "not-found",
      },
    );
  });

  it("reads an inventory's Snapshots and fails closed for a snapshot it does not list", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-snap-"));
    try {
      const file = path.join(dir, "inventory.json");
      fs.writeFileSync(
        file,
        JSON.stringify({ Images: [], Snapshots: [{ SnapshotId: OURS, OwnerId: "111111111111" }] }),
      );
      const src = new InventorySnapshots(file);
      assert.deepEqual(await src.owner(OURS), { kind: "found", ownerId: "111111111111" });
      const missing = await src.owner(FOREIGN);
      assert.equal(missing.kind, "error");
      assert.match((missing as { cause: string }).cause, /does not list the snapshot/);
      assert.equal((await new InventorySnapshots(path.join(dir, "nope.json")).owner(OURS)).kind, "error");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
