/**
 * What the loopback EC2 endpoint serves in the benchmarks, on the test suite's server
 * (testing/ec2-server.ts): the 20 AMIs of the per-resource benchmark, and an account owning N AMIs for
 * the audit, with EC2's per-API token buckets.
 *
 * EC2 throttles each API separately, per account and region, with a token bucket: a non-mutating action
 * (Describe*, Get*) has a bucket of 100 tokens refilled at 20 per second (EC2 developer guide, "Request
 * throttling for the Amazon EC2 API"). A call that finds its bucket empty gets 503 RequestLimitExceeded. The
 * audit's only per-image call is DescribeImageAttribute (there is no batch form), so its ideal time is set by that
 * one bucket.
 */
import {
  ec2Error,
  ec2Response,
  filterParams,
  imageToWire,
  jsonResponse,
  launchPermissionsToWire,
  listParam,
  queryResponse,
  type Ec2Handler,
  type Ec2Reply,
  type Ec2Request,
} from "./ec2-server";

type Pascal = Record<string, unknown>;

const DAY = 86_400_000;

/** EC2's bucket for a non-mutating action. */
export const EC2_NON_MUTATING = { burst: 100, perSecond: 20 };

export interface ImageSpec {
  id: string;
  owner: string;
  ageDays: number;
  encrypted: boolean;
  tags: Record<string, string>;
  public?: boolean;
}

/** One image in the SDK's (describe-images JSON) shape. */
export function makeImage(s: ImageSpec, now: number): Pascal {
  return {
    ImageId: s.id,
    OwnerId: s.owner,
    Name: `bench-${s.id}`,
    Description: "AMI Guard benchmark image",
    ImageLocation: `${s.owner}/bench-${s.id}`,
    State: "available",
    Public: s.public === true,
    CreationDate: new Date(now - s.ageDays * DAY).toISOString(),
    Architecture: "x86_64",
    ImageType: "machine",
    RootDeviceType: "ebs",
    RootDeviceName: "/dev/xvda",
    VirtualizationType: "hvm",
    BlockDeviceMappings: [
      {
        DeviceName: "/dev/xvda",
        Ebs: {
          SnapshotId: `snap-${s.id.slice(4)}`,
          VolumeSize: 20,
          VolumeType: "gp3",
          DeleteOnTermination: true,
          Encrypted: s.encrypted,
          KmsKeyId: s.encrypted ? "arn:aws:kms:us-east-1:111111111111:key/bench" : undefined,
        },
      },
    ],
    Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

export const TRUSTED = "111111111111";
const GOOD_TAGS = { Version: "1.0.0", Environment: "prod", Approved: "true" };

function amiId(i: number): string {
  return `ami-${i.toString(16).padStart(17, "0")}`;
}

/**
 * The per-resource benchmark's 20 AMIs: 16 that pass every check and one each that is stale, unencrypted, from
 * an untrusted owner, and missing its Approved tag, so the pack's answers show it really judged each AMI.
 */
export function perResourceImages(now: number): { images: Pascal[]; expected: Map<string, string> } {
  const images: Pascal[] = [];
  const expected = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    const spec: ImageSpec = {
      id: amiId(0xb000 + i),
      owner: TRUSTED,
      ageDays: 10,
      encrypted: true,
      tags: GOOD_TAGS,
    };
    if (i === 16) {
      spec.ageDays = 400;
      expected.set(spec.id, "ec2-ami-disallow-stale-image");
    } else if (i === 17) {
      spec.encrypted = false;
      expected.set(spec.id, "ec2-ami-require-encryption");
    } else if (i === 18) {
      spec.owner = "999999999999";
      expected.set(spec.id, "ec2-ami-disallow-untrusted-owner");
    } else if (i === 19) {
      spec.tags = { Version: "1.0.0", Environment: "prod" };
      expected.set(spec.id, "ec2-ami-require-tags");
    }
    images.push(makeImage(spec, now));
  }
  return { images, expected };
}

/** Per-action counters kept by the handlers (the server counts calls; these count ids and refusals). */
export interface WorldStats {
  describeImagesIds: number;
  throttledByAction: Record<string, number>;
  /** process.hrtime.bigint() of the first and the last call the handlers saw (see {@link timed}). */
  firstCallAt?: bigint;
  lastCallAt?: bigint;
}

/** Wraps every handler to note when the first and the last call arrived. */
export function timed(handlers: Record<string, Ec2Handler>, stats: WorldStats): Record<string, Ec2Handler> {
  const out: Record<string, Ec2Handler> = {};
  for (const [action, h] of Object.entries(handlers)) {
    out[action] = (req: Ec2Request) => {
      const now = process.hrtime.bigint();
      stats.firstCallAt ??= now;
      stats.lastCallAt = now;
      return h(req);
    };
  }
  return out;
}

/** A token bucket; `scale` speeds time up (refill × scale) so a long audit fits in a benchmark run. */
export class TokenBucket {
  private tokens: number;
  private last = process.hrtime.bigint();
  constructor(
    readonly burst: number,
    readonly perSecond: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = process.hrtime.bigint();
    this.tokens = Math.min(this.burst, this.tokens + (Number(now - this.last) / 1e9) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** Wraps EC2 handlers so that each action has its own token bucket, as EC2 throttles per API. */
export function throttled(
  handlers: Record<string, Ec2Handler>,
  limited: readonly string[],
  bucket: { burst: number; perSecond: number },
  stats: WorldStats,
): Record<string, Ec2Handler> {
  const out: Record<string, Ec2Handler> = { ...handlers };
  for (const action of limited) {
    const h = handlers[action];
    if (!h) continue;
    const b = new TokenBucket(bucket.burst, bucket.perSecond);
    out[action] = (req: Ec2Request) => {
      if (!b.take()) {
        stats.throttledByAction[action] = (stats.throttledByAction[action] ?? 0) + 1;
        return ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503);
      }
      return h(req);
    };
  }
  return out;
}

/** DescribeImages by id and DescribeImageAttribute over a fixed set of images (the pack's look-ups). */
export function lookupHandlers(images: Pascal[], stats: WorldStats): Record<string, Ec2Handler> {
  const byId = new Map(images.map((i) => [String(i.ImageId), i]));
  return {
    DescribeImages: (r) => {
      const ids = listParam(r.params, "ImageId");
      stats.describeImagesIds += ids.length;
      const missing = ids.filter((id) => !byId.has(id));
      if (missing.length > 0)
        return ec2Error("InvalidAMIID.NotFound", `The image id '[${missing.join(", ")}]' does not exist`);
      return ec2Response("DescribeImages", { imagesSet: ids.map((id) => imageToWire(byId.get(id)!)) });
    },
    DescribeImageAttribute: (r) => {
      const image = byId.get(r.params.ImageId);
      if (!image || image.OwnerId !== TRUSTED)
        return ec2Error("AuthFailure", `Not authorized for image:${r.params.ImageId}`);
      return ec2Response("DescribeImageAttribute", {
        imageId: r.params.ImageId,
        launchPermission: launchPermissionsToWire([]),
      });
    },
  };
}

export const AUDIT_ACCOUNT = TRUSTED;

/**
 * An account that owns `n` AMIs in one region, with instances and launch templates using some of them (and a few
 * AMIs it does not own, so the audit's by-id DescribeImages runs too), every guardrail read answered.
 */
export function auditHandlers(n: number, now: number, stats: WorldStats): Record<string, Ec2Handler> {
  const owned: Pascal[] = [];
  for (let i = 0; i < n; i++) {
    owned.push(
      makeImage(
        {
          id: amiId(0x100000 + i),
          owner: AUDIT_ACCOUNT,
          ageDays: i % 10 === 0 ? 200 : 20,
          encrypted: i % 25 !== 0,
          tags: i % 7 === 0 ? { Version: "1" } : GOOD_TAGS,
        },
        now,
      ),
    );
  }
  const foreign: Pascal[] = [];
  for (let i = 0; i < 20; i++)
    foreign.push(
      makeImage(
        { id: amiId(0x900000 + i), owner: "137112412989", ageDays: 30, encrypted: false, tags: {} },
        now,
      ),
    );
  const all = new Map([...owned, ...foreign].map((i) => [String(i.ImageId), i]));
  const ownedIds = new Set(owned.map((i) => String(i.ImageId)));
  // One instance per 20 owned images, and one per foreign image.
  const instances = [
    ...owned.filter((_, i) => i % 20 === 0).map((i) => String(i.ImageId)),
    ...foreign.map((i) => String(i.ImageId)),
  ].map((imageId, k) => ({ instanceId: `i-${k.toString(16).padStart(17, "0")}`, imageId }));
  const templates = owned
    .filter((_, i) => i % 50 === 1)
    .map((img, k) => ({
      id: `lt-${k.toString(16).padStart(17, "0")}`,
      name: `bench-template-${k}`,
      imageId: String(img.ImageId),
    }));

  const page = <T>(items: T[], token: string | undefined, max: number) => {
    const start = token ? Number(token.replace("page-", "")) : 0;
    const next = start + max < items.length ? `page-${start + max}` : undefined;
    return { items: items.slice(start, start + max), next };
  };
  const pageSize = (r: Ec2Request, cap: number) => Math.min(cap, Number(r.params.MaxResults) || cap);

  return {
    GetCallerIdentity: () =>
      queryResponse("GetCallerIdentity", {
        Account: AUDIT_ACCOUNT,
        Arn: `arn:aws:iam::${AUDIT_ACCOUNT}:user/auditor`,
        UserId: "AIDABENCH",
      }),
    DescribeImages: (r) => {
      const ids = listParam(r.params, "ImageId");
      if (ids.length > 0) {
        stats.describeImagesIds += ids.length;
        const missing = ids.filter((id) => !all.has(id));
        if (missing.length > 0)
          return ec2Error("InvalidAMIID.NotFound", `The image id '[${missing.join(", ")}]' does not exist`);
        return ec2Response("DescribeImages", { imagesSet: ids.map((id) => imageToWire(all.get(id)!)) });
      }
      if (listParam(r.params, "Owner")[0] !== "self")
        return ec2Error("InvalidParameterCombination", "the benchmark's account only lists Owners=self");
      const p = page(owned, r.params.NextToken, pageSize(r, 1000));
      return ec2Response("DescribeImages", { imagesSet: p.items.map(imageToWire), nextToken: p.next });
    },
    DescribeImageAttribute: (r) => {
      const id = r.params.ImageId;
      if (!ownedIds.has(id)) return ec2Error("AuthFailure", `Not authorized for image:${id}`);
      const n = Number.parseInt(id.slice(4), 16);
      const perms = n % 100 === 3 ? [{ UserId: "444455556666" }] : [];
      return ec2Response("DescribeImageAttribute", {
        imageId: id,
        launchPermission: launchPermissionsToWire(perms),
      });
    },
    DescribeInstances: (r) => {
      const states = filterParams(r.params)["instance-state-name"] ?? [];
      const list = states.length === 0 || states.includes("running") ? instances : [];
      const p = page(list, r.params.NextToken, pageSize(r, 1000));
      return ec2Response("DescribeInstances", {
        reservationSet: p.items.map((i) => ({
          reservationId: `r-${i.instanceId.slice(2)}`,
          ownerId: AUDIT_ACCOUNT,
          instancesSet: [
            { instanceId: i.instanceId, imageId: i.imageId, instanceState: { code: 16, name: "running" } },
          ],
        })),
        nextToken: p.next,
      });
    },
    DescribeLaunchTemplateVersions: (r) => {
      const p = page(templates, r.params.NextToken, pageSize(r, 200));
      return ec2Response("DescribeLaunchTemplateVersions", {
        launchTemplateVersionSet: p.items.map((t) => ({
          launchTemplateId: t.id,
          launchTemplateName: t.name,
          versionNumber: 1,
          defaultVersion: true,
          launchTemplateData: { imageId: t.imageId },
        })),
        nextToken: p.next,
      });
    },
    GetEbsEncryptionByDefault: () =>
      ec2Response("GetEbsEncryptionByDefault", { ebsEncryptionByDefault: true }),
    GetEbsDefaultKmsKeyId: () =>
      ec2Response("GetEbsDefaultKmsKeyId", { kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/bench" }),
    GetImageBlockPublicAccessState: () =>
      ec2Response("GetImageBlockPublicAccessState", { imageBlockPublicAccessState: "block-new-sharing" }),
    GetSnapshotBlockPublicAccessState: () =>
      ec2Response("GetSnapshotBlockPublicAccessState", { state: "block-all-sharing" }),
    GetAllowedImagesSettings: () =>
      ec2Response("GetAllowedImagesSettings", {
        state: "enabled",
        imageCriterionSet: [{ imageProviderSet: ["amazon", AUDIT_ACCOUNT] }],
        managedBy: "account",
      }),
    BatchGetAccountStatus: (): Ec2Reply =>
      jsonResponse({
        accounts: [
          {
            accountId: AUDIT_ACCOUNT,
            state: { status: "ENABLED" },
            resourceState: { ec2: { status: "ENABLED" }, ecr: { status: "DISABLED" } },
          },
        ],
        failedAccounts: [],
      }),
    DescribeTrails: (): Ec2Reply =>
      jsonResponse({
        trailList: [
          {
            Name: "org-trail",
            TrailARN: `arn:aws:cloudtrail:us-east-1:${AUDIT_ACCOUNT}:trail/org-trail`,
            HomeRegion: "us-east-1",
            IsMultiRegionTrail: true,
            IsOrganizationTrail: false,
            LogFileValidationEnabled: true,
          },
        ],
      }),
    GetTrailStatus: (): Ec2Reply => jsonResponse({ IsLogging: true }),
    GetEventSelectors: (): Ec2Reply =>
      jsonResponse({ EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] }),
  };
}

/** The REST route of Inspector2's BatchGetAccountStatus, for the server. */
export const AUDIT_ROUTES = { "POST /status/batch/get": "BatchGetAccountStatus" };

/** The EC2 actions the audit calls (each throttled by its own bucket); STS, Inspector2 and CloudTrail are not. */
export const AUDIT_EC2_ACTIONS = [
  "DescribeImages",
  "DescribeImageAttribute",
  "DescribeInstances",
  "DescribeLaunchTemplateVersions",
  "GetEbsEncryptionByDefault",
  "GetEbsDefaultKmsKeyId",
  "GetImageBlockPublicAccessState",
  "GetSnapshotBlockPublicAccessState",
  "GetAllowedImagesSettings",
];
