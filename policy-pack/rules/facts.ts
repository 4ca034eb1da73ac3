/**
 * The facts about one AMI that the rules judge, normalised from EC2's `DescribeImages` shape (the JSON that
 * `aws ec2 describe-images --output json` prints) so that the pack, the preview and the audit read one model.
 */

/** One launch permission as `DescribeImageAttribute --attribute launchPermission` prints it. */
export interface LaunchPermission {
  Group?: string;
  UserId?: string;
  OrganizationArn?: string;
  OrganizationalUnitArn?: string;
}

export interface AmiBlockDevice {
  deviceName?: string;
  snapshotId?: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** The only owner aliases EC2 gives images published by AWS itself or its services. */
export const PROVIDER_ALIASES: readonly string[] = ["amazon", "aws-marketplace", "aws-backup-vault"];

export interface AmiFacts {
  imageId: string;
  name?: string;
  ownerId?: string;
  /**
   * `amazon`, `aws-marketplace` or `aws-backup-vault` for images published by AWS; undefined otherwise. Any
   * other `ImageOwnerAlias` value (an account id, `self`, anything) is not a provider: it is kept only in
   * `ownerAliasText` for messages, and never makes an image "a provider's".
   */
  ownerAlias?: string;
  /** An `ImageOwnerAlias` that is not a provider alias, as EC2 (or the inventory) gave it. */
  ownerAliasText?: string;
  public: boolean;
  state: string;
  /** Parsed only from a well-formed ISO 8601 timestamp; undefined when absent or unparsable. */
  creationDate?: Date;
  /** `CreationDate` as given, when present (so a message can quote one that does not parse). */
  creationDateText?: string;
  deprecationTime?: Date;
  /** `DeprecationTime` as given, when present. */
  deprecationTimeText?: string;
  tags: Record<string, string>;
  /** EBS snapshots of the image; instance-store (ephemeral) mappings are not listed. */
  ebs: AmiBlockDevice[];
  /** How many block device mappings the image has in all (EBS, ephemeral and others). */
  blockDeviceMappings: number;
  rootDeviceType?: string;
  /** EC2's Allowed AMIs verdict for the caller's account (`ImageAllowed`), where EC2 gave one. */
  imageAllowed?: boolean;
  /** Launch permissions where they are known (the owner's look-up or an exported inventory), else undefined. */
  launchPermissions?: LaunchPermission[];
}

/** The outcome of looking an AMI up: its facts, not found, or facts that could not be had (and why). */
export type AmiLookup =
  | { kind: "found"; facts: AmiFacts }
  | { kind: "not-found"; imageId: string; region: string }
  | { kind: "error"; imageId: string; region: string; cause: string };

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a timestamp as EC2 writes them (`2024-10-28T12:00:00.000Z`), strictly: anything else — a seconds
 * field of `456`, 30 February, a bare number that `Date` would read as a year — is undefined, never a
 * guess, so that the rules can fail closed on it.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== "string") return undefined;
  const m = ISO_8601.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const fraction = m[7] ? m[7].slice(0, 4) : "";
  const d = new Date(`${m.slice(1, 4).join("-")}T${m.slice(4, 7).join(":")}${fraction}${m[8]}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function text(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function bool(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

function s(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Reads a launch-permission list (`LaunchPermissions` as the CLI and the SDK print it). Anything that is not a
 * list of objects is undefined: a malformed list vouches for nothing.
 */
export function permissionList(value: unknown): LaunchPermission[] | undefined {
  if (!Array.isArray(value)) return undefined;
  if (!value.every((p) => p !== null && typeof p === "object" && !Array.isArray(p))) return undefined;
  const keys = ["Group", "UserId", "OrganizationArn", "OrganizationalUnitArn"] as const;
  return value.map((p) => {
    const out: LaunchPermission = {};
    for (const k of keys) {
      const v = s((p as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  });
}

/**
 * Normalises one image of a `DescribeImages` answer (SDK or CLI JSON: the same PascalCase keys).
 * Returns undefined when the value is not an image (no `ImageId`).
 */
export function factsFromImage(image: unknown): AmiFacts | undefined {
  if (image === null || typeof image !== "object") return undefined;
  const i = image as Record<string, unknown>;
  const imageId = s(i.ImageId);
  if (!imageId) return undefined;
  const tags: Record<string, string> = {};
  if (Array.isArray(i.Tags)) {
    for (const t of i.Tags) {
      const key = s((t as Record<string, unknown>)?.Key);
      if (key !== undefined) tags[key] = String((t as Record<string, unknown>).Value ?? "");
    }
  }
  const ebs: AmiBlockDevice[] = [];
  const mappings = Array.isArray(i.BlockDeviceMappings) ? i.BlockDeviceMappings.length : 0;
  if (Array.isArray(i.BlockDeviceMappings)) {
    for (const m of i.BlockDeviceMappings) {
      const e = (m as Record<string, unknown>)?.Ebs as Record<string, unknown> | undefined;
      if (!e || typeof e !== "object") continue;
      ebs.push({
        deviceName: s((m as Record<string, unknown>).DeviceName),
        snapshotId: s(e.SnapshotId),
        encrypted: e.Encrypted === true || e.Encrypted === "true",
        kmsKeyId: s(e.KmsKeyId),
      });
    }
  }
  const launchPermissions = permissionList(i.LaunchPermissions);
  const alias = s(i.ImageOwnerAlias);
  const provider = alias !== undefined && PROVIDER_ALIASES.includes(alias);
  return {
    imageId,
    name: s(i.Name),
    ownerId: s(i.OwnerId),
    ownerAlias: provider ? alias : undefined,
    ownerAliasText: provider ? undefined : alias,
    public: i.Public === true || i.Public === "true",
    state: s(i.State) ?? "unknown",
    creationDate: parseTimestamp(i.CreationDate),
    creationDateText: text(i.CreationDate),
    deprecationTime: parseTimestamp(i.DeprecationTime),
    deprecationTimeText: text(i.DeprecationTime),
    tags,
    ebs,
    blockDeviceMappings: mappings,
    rootDeviceType: s(i.RootDeviceType),
    imageAllowed: bool(i.ImageAllowed),
    launchPermissions,
  };
}

/**
 * What reading an image's launch permissions gave: the permissions; "not-owner" (EC2's AuthFailure for an
 * image owned by another account, or an inventory entry for an image the settings do not call ours); or an
 * error naming the cause, which the sharing rule turns into a finding (fail closed).
 */
export type LaunchPermissionsResult =
  | { kind: "known"; permissions: LaunchPermission[] }
  | { kind: "not-owner" }
  | { kind: "error"; cause: string };
