/**
 * Facts as the owner sees them. EC2 keeps tags per account and shows launch permissions only to an image's
 * owner, so an account launching an image shared by an image-build account sees neither. When the image's
 * owner account has an entry in `ownerReadRoles`, its tags and launch permissions are read as the owner sees
 * them: live, through an EC2 source whose credentials are that role's (assumed once per role per process), or
 * offline, from the inventory's `OwnerViews` section (what the build account's audit exports). Without an
 * entry, the tag and sharing rules say what cannot be seen and which setting would let them see it.
 *
 * Never rejects: every failure becomes a `failed` view naming the role (or inventory section) and the cause.
 */
import * as fs from "node:fs";
import {
  OWNER_SESSION_SECONDS,
  memoizeCredentials,
  sessionName,
  temporaryCredentials,
  type CredentialsProvider,
} from "./assume-role";
import {
  factsFromImage,
  type AmiFacts,
  type LaunchPermission,
  type LaunchPermissionsResult,
} from "../rules/facts";
import {
  Ec2Source,
  InventoryError,
  InventorySource,
  defaultClientFor,
  describeError,
  type AmiSource,
  type Ec2Like,
} from "./lookup";
import { judgeHiddenSharing, judgeHiddenTags, ownerViewFailed } from "../rules/owner-rules";
import { RULES, judgeSharing, judgeTags, ownedBySettings, type Finding } from "../rules/rules";
import type { AmiGuardSettings } from "../rules/settings";
import { ACCOUNT_ID } from "../rules/patterns";

/** One image as its owner sees it, or why that could not be had. */
export type OwnerView =
  | { kind: "owner"; facts: AmiFacts; account: string; via: string }
  | { kind: "error"; account: string; via: string; cause: string };

export interface OwnerViewCalls {
  assumeRole: number;
  describeImages: number;
  describeImageAttribute: number;
}

/** Where owners' views come from. */
export interface OwnerViewSource {
  /** The image (owned by `account`) with its owner's tags and launch permissions. Never rejects. */
  view(imageId: string, region: string, account: string, roleArn: string): Promise<OwnerView>;
  /** The calls made for owners' views. */
  readonly calls: OwnerViewCalls;
}

export interface AssumedRoleViewsOptions {
  /** The role's credentials (default: sts:AssumeRole from the standard chain, 900 s, memoised per role). */
  credentialsFor?: (roleArn: string, region: string) => CredentialsProvider;
  /** An EC2 client with those credentials (default: the pack's client, endpoint variables honoured). */
  clientFor?: (region: string, credentials: CredentialsProvider) => Ec2Like;
  /** RoleSessionName (default: {@link sessionName} of this process). */
  sessionName?: string;
  /**
   * Ask an image's launch permissions as the role alongside its DescribeImages (one round trip, not two; see
   * Ec2SourceOptions.permissionsAlongside): the role's account owns the images it is asked about. Default false.
   */
  permissionsAlongside?: boolean;
}

/**
 * Live owners' views: for each role, its credentials (one AssumeRole per role for the life of the process,
 * refreshed only near the end of a session) and an Ec2Source with them, so DescribeImages (batched) and
 * DescribeImageAttribute are made once per image per role.
 */
export class AssumedRoleViews implements OwnerViewSource {
  private readonly credentials = new Map<string, CredentialsProvider>();
  private readonly sources = new Map<string, Ec2Source>();
  private readonly views = new Map<string, Promise<OwnerView>>();
  private assumeRoleCalls = 0;

  constructor(private readonly options: AssumedRoleViewsOptions = {}) {}

  get calls(): OwnerViewCalls {
    const out = { assumeRole: this.assumeRoleCalls, describeImages: 0, describeImageAttribute: 0 };
    for (const s of this.sources.values()) {
      out.describeImages += s.calls.describeImages;
      out.describeImageAttribute += s.calls.describeImageAttribute;
    }
    return out;
  }

  /** The role's memoised credentials (made once per role). */
  credentialsOf(roleArn: string, region: string): CredentialsProvider {
    let c = this.credentials.get(roleArn);
    if (!c) {
      const base =
        this.options.credentialsFor?.(roleArn, region) ??
        temporaryCredentials({
          roleArn,
          region,
          sessionName: this.options.sessionName ?? sessionName(),
          durationSeconds: OWNER_SESSION_SECONDS,
        });
      c = memoizeCredentials(base, () => this.assumeRoleCalls++);
      this.credentials.set(roleArn, c);
    }
    return c;
  }

  private source(roleArn: string, credentials: CredentialsProvider): Ec2Source {
    let s = this.sources.get(roleArn);
    if (!s) {
      const clientFor = this.options.clientFor ?? ((r, c) => defaultClientFor(r, c));
      s = new Ec2Source({
        clientFor: (region) => clientFor(region, credentials),
        ...(this.options.permissionsAlongside ? { permissionsAlongside: () => true } : {}),
      });
      this.sources.set(roleArn, s);
    }
    return s;
  }

  view(imageId: string, region: string, account: string, roleArn: string): Promise<OwnerView> {
    const key = `${roleArn} ${region} ${imageId}`;
    let v = this.views.get(key);
    if (!v) {
      v = this.read(imageId, region, account, roleArn);
      this.views.set(key, v);
    }
    return v;
  }

  private async read(imageId: string, region: string, account: string, roleArn: string): Promise<OwnerView> {
    const via = `role ${roleArn}`;
    const fail = (cause: string): OwnerView => ({ kind: "error", account, via, cause });
    const credentials = this.credentialsOf(roleArn, region);
    try {
      await credentials();
    } catch (e) {
      return fail(`the role could not be assumed (sts:AssumeRole: ${describeError(e)})`);
    }
    const src = this.source(roleArn, credentials);
    const [found, perms] = await Promise.all([
      src.lookup(imageId, region),
      ownerPermissions(src, imageId, region),
    ]);
    if (found.kind === "error") return fail(`ec2:DescribeImages as the role failed: ${found.cause}`);
    if (found.kind === "not-found") return fail(`the role does not see AMI ${imageId} in ${region}`);
    return withPermissions(found.facts, account, via, perms);
  }
}

/** The owner's launch permissions through its own source; a string says why they could not be read. */
async function ownerPermissions(
  src: AmiSource,
  imageId: string,
  region: string,
): Promise<LaunchPermission[] | string> {
  const found = await src.lookup(imageId, region);
  if (found.kind !== "found") return "the role could not describe the image";
  const r = await src.launchPermissions(found.facts, region, true);
  if (r.kind === "known") return r.permissions;
  return `ec2:DescribeImageAttribute launchPermission as the role: ${r.kind === "error" ? r.cause : "refused (not the owner)"}`;
}

function withPermissions(
  facts: AmiFacts,
  account: string,
  via: string,
  perms: LaunchPermission[] | string | undefined,
): OwnerView {
  if (facts.ownerId !== account) {
    return {
      kind: "error",
      account,
      via,
      cause: `the owner's view says AMI ${facts.imageId} is owned by ${facts.ownerId ?? "nobody"}, not ${account}`,
    };
  }
  if (typeof perms === "string" || perms === undefined) {
    return { kind: "error", account, via, cause: perms ?? "the owner's view has no LaunchPermissions" };
  }
  return { kind: "owner", facts: { ...facts, launchPermissions: perms }, account, via };
}

/**
 * The `OwnerViews` section of an inventory: `{"OwnerViews": {"<owner account>": {"Images": [...]}}}`, each
 * the describe-images shape with `LaunchPermissions`, as `ami-guard audit --export-inventory` writes it in the
 * owner account. Absent: no owner views. Throws InventoryError naming the file and the key.
 */
export function parseOwnerViews(doc: unknown, file: string): Map<string, Map<string, AmiFacts>> {
  const out = new Map<string, Map<string, AmiFacts>>();
  const section = (doc as { OwnerViews?: unknown } | null)?.OwnerViews;
  if (section === undefined) return out;
  if (section === null || typeof section !== "object" || Array.isArray(section)) {
    throw new InventoryError(
      file,
      `${file}: OwnerViews must be an object of owner account id → {"Images": [...]}`,
    );
  }
  for (const [account, view] of Object.entries(section as Record<string, unknown>)) {
    if (!ACCOUNT_ID.test(account))
      throw new InventoryError(
        file,
        `${file}: OwnerViews key ${JSON.stringify(account)} is not a 12-digit account id`,
      );
    const images = (view as { Images?: unknown } | null)?.Images;
    if (!Array.isArray(images))
      throw new InventoryError(file, `${file}: OwnerViews.${account} must be {"Images": [...]}`);
    const byId = new Map<string, AmiFacts>();
    images.forEach((image, i) => {
      const f = factsFromImage(image);
      if (!f) throw new InventoryError(file, `${file}: OwnerViews.${account}.Images[${i}] has no ImageId`);
      byId.set(f.imageId, f);
    });
    out.set(account, byId);
  }
  return out;
}

/** Reads the inventory file's OwnerViews. Throws InventoryError naming the file when it is unreadable or bad. */
export function readOwnerViews(file: string): Map<string, Map<string, AmiFacts>> {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InventoryError(
      file,
      code
        ? `cannot read inventory ${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`
        : `${file} is not valid JSON (${(e as Error).message})`,
    );
  }
  return parseOwnerViews(doc, file);
}

/** Offline owners' views from an inventory's OwnerViews section; no AWS call is ever made. */
export class InventoryOwnerViews implements OwnerViewSource {
  readonly calls: OwnerViewCalls = { assumeRole: 0, describeImages: 0, describeImageAttribute: 0 };
  constructor(
    private readonly views: Map<string, Map<string, AmiFacts>>,
    private readonly file: string,
  ) {}

  static fromFile(file: string): InventoryOwnerViews {
    return new InventoryOwnerViews(readOwnerViews(file), file);
  }

  async view(imageId: string, _region: string, account: string): Promise<OwnerView> {
    const via = `inventory ${this.file}, OwnerViews.${account}`;
    const images = this.views.get(account);
    if (!images) {
      return {
        kind: "error",
        account,
        via,
        cause: `the inventory holds no view of owner account ${account} (export one there with ami-guard audit --export-inventory and put it under OwnerViews.${account})`,
      };
    }
    const facts = images.get(imageId);
    if (!facts)
      return { kind: "error", account, via, cause: `the owner's view does not list AMI ${imageId}` };
    return withPermissions(facts, account, via, facts.launchPermissions);
  }
}

let views: OwnerViewSource | undefined;
let viewsError: string | undefined;

/** The process-wide owners' views: the inventory's OwnerViews when AMI_GUARD_INVENTORY is set, else live. */
export function ownerViews(): OwnerViewSource | string {
  if (!views && !viewsError) {
    const file = process.env.AMI_GUARD_INVENTORY;
    try {
      views = file
        ? InventoryOwnerViews.fromFile(file)
        : new AssumedRoleViews({ permissionsAlongside: true });
    } catch (e) {
      viewsError = (e as Error).message;
    }
  }
  return views ?? (viewsError as string);
}

/** Replaces the process-wide owners' views (tests). */
export function setOwnerViews(v: OwnerViewSource | undefined): void {
  views = v;
  viewsError = undefined;
}

/** How an image's tags and launch permissions are seen from here. */
export type Seen =
  /** This account's own view: AWS's images, images it owns, or it could not tell (an inventory without LaunchPermissions). */
  | { kind: "caller"; facts: AmiFacts; sharing?: LaunchPermissionsResult }
  /** Read as the owner sees them, through ownerReadRoles. */
  | { kind: "owner"; facts: AmiFacts; via: string }
  /** Another account owns it and no owner read role is configured: its tags and launch permissions are hidden. */
  | { kind: "hidden"; facts: AmiFacts; account: string }
  /** An owner read role is configured but the owner's view could not be had. */
  | { kind: "failed"; account: string; via: string; cause: string };

/**
 * Decides whose view to judge `facts` (this account's look-up of the image) on, and reads the owner's view
 * where `settings.ownerReadRoles` maps the image's owner account. `src` answers whether this account can read
 * the launch permissions (only the owner can).
 */
export async function seenBy(
  facts: AmiFacts,
  region: string,
  settings: AmiGuardSettings,
  src: AmiSource | string,
  owners: OwnerViewSource | string = ownerViews(),
): Promise<Seen> {
  const account = facts.ownerId;
  if (facts.ownerAlias !== undefined || account === undefined) return { kind: "caller", facts };
  const roleArn = settings.ownerReadRoles[account];
  if (roleArn !== undefined) {
    if (typeof owners === "string") return { kind: "failed", account, via: `role ${roleArn}`, cause: owners };
    const v = await owners.view(facts.imageId, region, account, roleArn);
    return v.kind === "owner"
      ? { kind: "owner", facts: v.facts, via: v.via }
      : { kind: "failed", account, via: v.via, cause: v.cause };
  }
  if (facts.launchPermissions !== undefined) return { kind: "caller", facts };
  if (typeof src === "string") return { kind: "caller", facts, sharing: { kind: "error", cause: src } };
  const sharing = await src.launchPermissions(facts, region, ownedBySettings(facts, settings));
  if (sharing.kind === "known")
    return { kind: "caller", facts: { ...facts, launchPermissions: sharing.permissions } };
  // EC2's refusal of another account's image (not-owner) means its owner's facts are hidden from here; an
  // inventory without LaunchPermissions cannot tell whose view it is, and a failed read fails closed.
  if (sharing.kind === "not-owner" && !(src instanceof InventorySource))
    return { kind: "hidden", facts, account };
  return { kind: "caller", facts, sharing };
}

/**
 * Pure: what `callerAccount` (known to the audit) sees of an image it uses, given the owner's view where it was
 * read. The pack, which does not know its own account, decides with {@link seenBy} instead.
 */
export function seenFrom(
  facts: AmiFacts,
  callerAccount: string,
  settings: AmiGuardSettings,
  view: OwnerView | undefined,
): Seen {
  const account = facts.ownerId;
  if (facts.ownerAlias !== undefined || account === undefined || account === callerAccount)
    return { kind: "caller", facts };
  const roleArn = settings.ownerReadRoles[account];
  if (roleArn === undefined) return { kind: "hidden", facts, account };
  if (!view)
    return { kind: "failed", account, via: `role ${roleArn}`, cause: "the owner's view was not read" };
  return view.kind === "owner"
    ? { kind: "owner", facts: view.facts, via: view.via }
    : { kind: "failed", account, via: view.via, cause: view.cause };
}

/** Pure: the tag rule on the view that counts (the owner's where read; what is hidden, said so). */
export function judgeTagsSeen(seen: Seen, imageId: string, region: string, s: AmiGuardSettings): Finding[] {
  switch (seen.kind) {
    case "owner":
    case "caller":
      return judgeTags(seen.facts, s);
    case "hidden":
      return judgeHiddenTags(seen.facts, seen.account, s);
    case "failed":
      return [ownerViewFailed(RULES.untagged, imageId, seen.account, seen.via, region, seen.cause)];
  }
}

/** Pure: the sharing rule on the view that counts (the owner's launch permissions where read). */
export function judgeSharingSeen(
  seen: Seen,
  imageId: string,
  region: string,
  s: AmiGuardSettings,
): Finding[] {
  switch (seen.kind) {
    case "owner":
      return judgeSharing(seen.facts, s);
    case "caller":
      return seen.sharing ? judgeSharing(seen.facts, s, seen.sharing, region) : judgeSharing(seen.facts, s);
    case "hidden":
      return [...judgeSharing(seen.facts, s), ...judgeHiddenSharing(seen.facts, seen.account, s)];
    case "failed":
      return [ownerViewFailed(RULES.shared, imageId, seen.account, seen.via, region, seen.cause)];
  }
}

/** The tag rule on the view that counts: the owner's where configured, else this account's (saying what it cannot see). */
export async function judgeTagsAsSeen(
  facts: AmiFacts,
  region: string,
  s: AmiGuardSettings,
  src: AmiSource | string,
): Promise<Finding[]> {
  return judgeTagsSeen(await seenBy(facts, region, s, src), facts.imageId, region, s);
}

/** The sharing rule on the view that counts: the owner's launch permissions where configured. */
export async function judgeSharingAsSeen(
  facts: AmiFacts,
  region: string,
  s: AmiGuardSettings,
  src: AmiSource | string,
): Promise<Finding[]> {
  return judgeSharingSeen(await seenBy(facts, region, s, src), facts.imageId, region, s);
}
