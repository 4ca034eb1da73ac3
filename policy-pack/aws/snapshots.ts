/**
 * Who owns an EBS snapshot, for images registered from snapshots (`aws.ec2.Ami`): EC2 `DescribeSnapshots`
 * (owner-agnostic: answers for our own snapshots and those shared with us), or the inventory file's optional
 * `Snapshots` list (the shape `aws ec2 describe-snapshots --output json` prints). Cached per process; every
 * failure is a `error` answer (fail closed), never an exception.
 */
import { FileReadError, MAX_INVENTORY_BYTES, parseJsonText, readRegularFile } from "./files";
import { CallBudget, processBudget } from "./budget";
import { ec2Sdk } from "./sdk";
import { defaultClientFor, describeError, errorName, type Ec2Like } from "./lookup";

export type SnapshotLookup =
  { kind: "found"; ownerId: string | undefined } | { kind: "not-found" } | { kind: "error"; cause: string };

export interface SnapshotSource {
  /** The owner of a snapshot in a region. Never rejects. */
  owner(snapshotId: string, region: string): Promise<SnapshotLookup>;
}

/** Snapshot owners from an inventory file; a snapshot it does not list cannot be vouched for. */
export class InventorySnapshots implements SnapshotSource {
  private owners: Map<string, string | undefined> | undefined;
  private problem: string | undefined;

  constructor(private readonly file: string) {}

  private load(): void {
    if (this.owners || this.problem) return;
    let text: string;
    try {
      text = readRegularFile(this.file, MAX_INVENTORY_BYTES);
    } catch (e) {
      this.problem = `cannot read inventory ${this.file}: ${e instanceof FileReadError ? e.reason : String(e)}`;
      return;
    }
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      this.problem = `${this.file} is not valid JSON (${parsed.problem})`;
      return;
    }
    const snapshots = (parsed.value as { Snapshots?: unknown } | null)?.Snapshots;
    this.owners = new Map();
    if (Array.isArray(snapshots)) {
      for (const s of snapshots as Record<string, unknown>[]) {
        if (s && typeof s.SnapshotId === "string") {
          this.owners.set(s.SnapshotId, typeof s.OwnerId === "string" ? s.OwnerId : undefined);
        }
      }
    }
  }

  async owner(snapshotId: string): Promise<SnapshotLookup> {
    this.load();
    if (this.problem) return { kind: "error", cause: this.problem };
    if (!this.owners!.has(snapshotId)) {
      return {
        kind: "error",
        cause: `the inventory ${this.file} does not list the snapshot (add 'aws ec2 describe-snapshots' output as "Snapshots")`,
      };
    }
    return { kind: "found", ownerId: this.owners!.get(snapshotId) };
  }
}

const NOT_FOUND = new Set(["InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed"]);

/** Snapshot owners from EC2 DescribeSnapshots. */
export class Ec2Snapshots implements SnapshotSource {
  private readonly cache = new Map<string, Promise<SnapshotLookup>>();
  private readonly client: (region: string) => Ec2Like;

  constructor(
    clientFor: (region: string) => Ec2Like = defaultClientFor,
    /** The budget every call is sent through (./budget); default a new one (AMI_GUARD_LOOKUP_BUDGET_MS). */
    private readonly budget: CallBudget = new CallBudget(),
  ) {
    this.client = budget.clientsFor("ec2", clientFor, describeError);
  }

  owner(snapshotId: string, region: string): Promise<SnapshotLookup> {
    const key = `${region}/${snapshotId}`;
    let p = this.cache.get(key);
    if (!p) this.cache.set(key, (p = this.describe(snapshotId, region)));
    return p;
  }

  private async describe(snapshotId: string, region: string): Promise<SnapshotLookup> {
    try {
      const c = this.client(region);
      const { DescribeSnapshotsCommand } = ec2Sdk();
      const resp = (await c.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))) as
        { Snapshots?: { SnapshotId?: string; OwnerId?: string }[] } | undefined;
      if (!resp || (resp.Snapshots !== undefined && !Array.isArray(resp.Snapshots))) {
        return { kind: "error", cause: "EC2 answered DescribeSnapshots with a malformed response" };
      }
      const s = (resp.Snapshots ?? []).find((x) => x?.SnapshotId === snapshotId);
      if (!s) return { kind: "not-found" };
      if (typeof s.OwnerId !== "string" || s.OwnerId === "") {
        return { kind: "error", cause: "EC2 did not report the snapshot's owner" };
      }
      return { kind: "found", ownerId: s.OwnerId };
    } catch (e) {
      if (NOT_FOUND.has(errorName(e))) return { kind: "not-found" };
      return { kind: "error", cause: describeError(e) };
    }
  }
}

let source: SnapshotSource | undefined;

/** The process-wide snapshot source: the inventory named by AMI_GUARD_INVENTORY, else EC2. */
export function snapshotSource(): SnapshotSource {
  if (!source) {
    const file = process.env.AMI_GUARD_INVENTORY;
    source = file ? new InventorySnapshots(file) : new Ec2Snapshots(defaultClientFor, processBudget());
  }
  return source;
}

/** Replaces the process-wide snapshot source (tests). */
export function setSnapshotSource(s: SnapshotSource | undefined): void {
  source = s;
}
