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

export interface AmiFacts {
  imageId: string;
  name?: string;
  ownerId?: string;
  /** `amazon`, `aws-marketplace` or `aws-backup-vault` for images owned by AWS; undefined otherwise. */
  ownerAlias?: string;
  public: boolean;
  state: string;
  creationDate?: Date;
  deprecationTime?: Date;
  tags: Record<string, string>;
  /** EBS snapshots of the image; instance-store (ephemeral) mappings are not listed. */
  ebs: AmiBlockDevice[];
  rootDeviceType?: string;
  /** Launch permissions where they are known (the owner's look-up or an exported inventory), else undefined. */
  launchPermissions?: LaunchPermission[];
}

/** The outcome of looking an AMI up: its facts, not found, or facts that could not be had (and why). */
export type AmiLookup =
  | { kind: "found"; facts: AmiFacts }
  | { kind: "not-found"; imageId: string; region: string }
  | { kind: "error"; imageId: string; region: string; cause: string };

function date(value: unknown): Date | undefined {
  if (typeof value !== "string" && !(value instanceof Date)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function s(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
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
  let launchPermissions: LaunchPermission[] | undefined;
  if (Array.isArray(i.LaunchPermissions)) {
    launchPermissions = i.LaunchPermissions.filter((p) => p && typeof p === "object").map((p) => {
      const r = p as Record<string, unknown>;
      return {
        Group: s(r.Group),
        UserId: s(r.UserId),
        OrganizationArn: s(r.OrganizationArn),
        OrganizationalUnitArn: s(r.OrganizationalUnitArn),
      };
    });
  }
  return {
    imageId,
    name: s(i.Name),
    ownerId: s(i.OwnerId),
    ownerAlias: s(i.ImageOwnerAlias),
    public: i.Public === true || i.Public === "true",
    state: s(i.State) ?? "unknown",
    creationDate: date(i.CreationDate),
    deprecationTime: date(i.DeprecationTime),
    tags,
    ebs,
    rootDeviceType: s(i.RootDeviceType),
    launchPermissions,
  };
}
