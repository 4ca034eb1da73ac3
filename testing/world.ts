/**
 * A fake AWS estate for the audit tests: accounts with regions of owned images, instances, launch templates,
 * guardrail settings and trails, served by the loopback endpoint (testing/ec2-server.ts). The region of
 * a call is read from its SigV4 credential scope, the account from its access key.
 */
import {
  ec2Error,
  ec2Response,
  filterParams,
  imageToWire,
  jsonError,
  jsonResponse,
  launchPermissionsToWire,
  listParam,
  queryError,
  queryResponse,
  type Ec2Handler,
  type Ec2Request,
} from "./ec2-server";

type Pascal = Record<string, unknown>;

export interface RegionWorld {
  owned: Pascal[];
  launchPermissions?: Record<string, Pascal[]>;
  instances?: { InstanceId: string; ImageId: string; State?: string }[];
  templates?: {
    LaunchTemplateId: string;
    LaunchTemplateName: string;
    VersionNumber: number;
    ImageId: string;
    DefaultVersion?: boolean;
  }[];
  /** Auto Scaling groups and the launch template (and version) each launches. */
  autoScalingGroups?: {
    AutoScalingGroupName: string;
    LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
    /** The template through a mixed instances policy instead. */
    MixedTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
  }[];
  /** EC2 Fleets and the launch template (and version) each launches. */
  fleets?: {
    FleetId: string;
    FleetState?: string;
    LaunchTemplate: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
  }[];
  /** Spot Fleet requests: a launch template (and version), or launch specifications with their own AMI. */
  spotFleets?: {
    SpotFleetRequestId: string;
    SpotFleetRequestState?: string;
    LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
    ImageIds?: string[];
  }[];
  ebsEncryptionByDefault?: boolean;
  ebsDefaultKmsKeyId?: string;
  imageBlockPublicAccess?: string;
  snapshotBlockPublicAccess?: string;
  allowedImages?: { State: string; criteria: number };
  inspectorEc2?: string;
}

export interface AccountWorld {
  regions: Record<string, RegionWorld>;
  trails?: {
    Name: string;
    HomeRegion: string;
    IsMultiRegionTrail: boolean;
    LogFileValidationEnabled: boolean;
    IsLogging: boolean;
    /** GetEventSelectors' answer; default: one basic selector recording all management events. */
    EventSelectors?: { ReadWriteType?: string; IncludeManagementEvents?: boolean }[];
  }[];
}

export interface World {
  /** The account of the base credentials (AWS_ACCESS_KEY_ID = BASE_KEY). */
  base: string;
  accounts: Record<string, AccountWorld>;
  /** Images that exist but nobody in `accounts` owns (AWS's, community), by region. */
  foreign?: Record<string, Pascal[]>;
  pageSize?: number;
  /** As in AWS: an image's tags are visible only to its owner account (others see it untagged). */
  tagsPerAccount?: boolean;
}

export const BASE_KEY = "AKIDTESTBASE";

export function regionOf(r: Ec2Request): string {
  const m = /Credential=[^/]+\/[0-9]{8}\/([^/]+)\//.exec(String(r.headers.authorization ?? ""));
  return m ? m[1] : "unknown";
}

export function accountOf(r: Ec2Request, w: World): string {
  const m = /Credential=([^/]+)\//.exec(String(r.headers.authorization ?? ""));
  const key = m ? m[1] : "";
  if (key === BASE_KEY) return w.base;
  const assumed = /^ASIA([0-9]{12})$/.exec(key);
  return assumed ? assumed[1] : "unknown";
}

function ltSpecToWire(s: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string }) {
  return {
    launchTemplateId: s.LaunchTemplateId,
    launchTemplateName: s.LaunchTemplateName,
    version: s.Version,
  };
}

function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = token ? Number(token.replace("page-", "")) : 0;
  const next = start + size < items.length ? `page-${start + size}` : undefined;
  return { items: items.slice(start, start + size), next };
}

/** Handlers for every call the audit makes, over `w`. */
export function worldHandlers(w: World): Record<string, Ec2Handler> {
  const size = w.pageSize ?? 1000;
  const rw = (r: Ec2Request): RegionWorld | undefined => w.accounts[accountOf(r, w)]?.regions[regionOf(r)];
  const allImages = (r: Ec2Request): Pascal[] => [
    ...Object.values(w.accounts).flatMap((a) => a.regions[regionOf(r)]?.owned ?? []),
    ...(w.foreign?.[regionOf(r)] ?? []),
  ];
  return {
    GetCallerIdentity: (r) => {
      const account = accountOf(r, w);
      if (!w.accounts[account])
        return queryError("InvalidClientTokenId", "The security token included in the request is invalid.");
      return queryResponse("GetCallerIdentity", {
        Account: account,
        Arn: `arn:aws:iam::${account}:user/auditor`,
        UserId: "AIDATEST",
      });
    },
    AssumeRole: (r) => {
      const m = /^arn:aws:iam::([0-9]{12}):role\//.exec(r.params.RoleArn ?? "");
      if (!m || !w.accounts[m[1]])
        return queryError(
          "AccessDenied",
          `User is not authorized to perform: sts:AssumeRole on resource: ${r.params.RoleArn}`,
        );
      return queryResponse("AssumeRole", {
        Credentials: {
          AccessKeyId: `ASIA${m[1]}`,
          SecretAccessKey: "secret",
          SessionToken: "token",
          Expiration: "2099-01-01T00:00:00Z",
        },
        AssumedRoleUser: {
          Arn: `arn:aws:sts::${m[1]}:assumed-role/Auditor/ami-guard-audit`,
          AssumedRoleId: "AROATEST:ami-guard-audit",
        },
      });
    },
    DescribeRegions: (r) =>
      ec2Response("DescribeRegions", {
        regionInfo: Object.keys(w.accounts[accountOf(r, w)]?.regions ?? {}).map((n) => ({
          regionName: n,
          regionEndpoint: `ec2.${n}.amazonaws.com`,
          optInStatus: "opt-in-not-required",
        })),
      }),
    DescribeImages: (r) => {
      const here = rw(r);
      const ids = listParam(r.params, "ImageId");
      if (ids.length > 0) {
        const known = allImages(r);
        const missing = ids.filter((id) => !known.some((i) => i.ImageId === id));
        if (missing.length > 0)
          return ec2Error("InvalidAMIID.NotFound", `The image id '[${missing.join(", ")}]' does not exist`);
        const caller = accountOf(r, w);
        const seen = (i: Pascal) =>
          w.tagsPerAccount && i.OwnerId !== caller ? { ...i, Tags: undefined } : i;
        return ec2Response("DescribeImages", {
          imagesSet: known.filter((i) => ids.includes(String(i.ImageId))).map((i) => imageToWire(seen(i))),
        });
      }
      if (listParam(r.params, "Owner")[0] !== "self")
        return ec2Error("InvalidParameterCombination", "test world only lists Owners=self");
      const p = page(
        here?.owned ?? [],
        r.params.NextToken,
        Math.min(size, Number(r.params.MaxResults) || size),
      );
      return ec2Response("DescribeImages", { imagesSet: p.items.map(imageToWire), nextToken: p.next });
    },
    DescribeImageAttribute: (r) => {
      const id = r.params.ImageId;
      if (!rw(r)?.owned.some((i) => i.ImageId === id))
        return ec2Error("AuthFailure", `Not authorized for image:${id}`);
      return ec2Response("DescribeImageAttribute", {
        imageId: id,
        launchPermission: launchPermissionsToWire(rw(r)?.launchPermissions?.[id] ?? []),
      });
    },
    DescribeInstances: (r) => {
      const states = filterParams(r.params)["instance-state-name"] ?? [];
      const list = (rw(r)?.instances ?? []).filter(
        (i) => states.length === 0 || states.includes(i.State ?? "running"),
      );
      const p = page(list, r.params.NextToken, Math.min(size, Number(r.params.MaxResults) || size));
      return ec2Response("DescribeInstances", {
        reservationSet: p.items.map((i) => ({
          reservationId: `r-${i.InstanceId.slice(2)}`,
          ownerId: accountOf(r, w),
          instancesSet: [
            {
              instanceId: i.InstanceId,
              imageId: i.ImageId,
              instanceState: { code: 16, name: i.State ?? "running" },
            },
          ],
        })),
        nextToken: p.next,
      });
    },
    DescribeLaunchTemplateVersions: (r) => {
      const all = rw(r)?.templates ?? [];
      const versions = listParam(r.params, "LaunchTemplateVersion");
      const id = r.params.LaunchTemplateId;
      const name = r.params.LaunchTemplateName;
      let list: typeof all;
      if (id !== undefined || name !== undefined) {
        // One template's versions, by number ($Default / $Latest resolved).
        const mine = all.filter((t) => (id ? t.LaunchTemplateId === id : t.LaunchTemplateName === name));
        if (mine.length === 0)
          return ec2Error(
            id ? "InvalidLaunchTemplateId.NotFound" : "InvalidLaunchTemplateName.NotFoundException",
            `The specified launch template, with template ${id ? "ID" : "name"} ${id ?? name}, does not exist.`,
          );
        const latest = Math.max(...mine.map((t) => t.VersionNumber));
        const wanted = (v: (typeof all)[number]) =>
          versions.length === 0 ||
          versions.some(
            (x) =>
              x === String(v.VersionNumber) ||
              (x === "$Latest" && v.VersionNumber === latest) ||
              (x === "$Default" && v.DefaultVersion !== false),
          );
        list = mine.filter(wanted);
        const missing = versions.filter(
          (x) => /^[0-9]+$/.test(x) && !list.some((v) => String(v.VersionNumber) === x),
        );
        if (missing.length > 0)
          return ec2Error(
            "InvalidLaunchTemplateId.VersionNotFound",
            `Could not find launch template version ${missing[0]} for ${id ?? name}.`,
          );
      } else {
        // Every template's $Default and $Latest version.
        const latestOf = (t: (typeof all)[number]) =>
          Math.max(
            ...all.filter((x) => x.LaunchTemplateId === t.LaunchTemplateId).map((x) => x.VersionNumber),
          );
        list = all.filter((t) => t.DefaultVersion !== false || t.VersionNumber === latestOf(t));
      }
      const p = page(list, r.params.NextToken, Math.min(size, Number(r.params.MaxResults) || size));
      return ec2Response("DescribeLaunchTemplateVersions", {
        launchTemplateVersionSet: p.items.map((t) => ({
          launchTemplateId: t.LaunchTemplateId,
          launchTemplateName: t.LaunchTemplateName,
          versionNumber: t.VersionNumber,
          defaultVersion: t.DefaultVersion ?? true,
          launchTemplateData: { imageId: t.ImageId },
        })),
        nextToken: p.next,
      });
    },
    DescribeAutoScalingGroups: (r) => {
      const p = page(
        rw(r)?.autoScalingGroups ?? [],
        r.params.NextToken,
        Math.min(size, Number(r.params.MaxRecords) || size),
      );
      return queryResponse(
        "DescribeAutoScalingGroups",
        {
          AutoScalingGroups: p.items.map((g) => ({
            AutoScalingGroupName: g.AutoScalingGroupName,
            LaunchTemplate: g.LaunchTemplate,
            MixedInstancesPolicy: g.MixedTemplate
              ? { LaunchTemplate: { LaunchTemplateSpecification: g.MixedTemplate } }
              : undefined,
            MinSize: 1,
            MaxSize: 2,
            DesiredCapacity: 1,
          })),
          NextToken: p.next,
        },
        "http://autoscaling.amazonaws.com/doc/2011-01-01/",
      );
    },
    DescribeFleets: (r) => {
      const p = page(
        rw(r)?.fleets ?? [],
        r.params.NextToken,
        Math.min(size, Number(r.params.MaxResults) || size),
      );
      return ec2Response("DescribeFleets", {
        fleetSet: p.items.map((f) => ({
          fleetId: f.FleetId,
          fleetState: f.FleetState ?? "active",
          launchTemplateConfigs: [{ launchTemplateSpecification: ltSpecToWire(f.LaunchTemplate) }],
        })),
        nextToken: p.next,
      });
    },
    DescribeSpotFleetRequests: (r) => {
      const p = page(
        rw(r)?.spotFleets ?? [],
        r.params.NextToken,
        Math.min(size, Number(r.params.MaxResults) || size),
      );
      return ec2Response("DescribeSpotFleetRequests", {
        spotFleetRequestConfigSet: p.items.map((f) => ({
          spotFleetRequestId: f.SpotFleetRequestId,
          spotFleetRequestState: f.SpotFleetRequestState ?? "active",
          spotFleetRequestConfig: {
            launchTemplateConfigs: f.LaunchTemplate
              ? [{ launchTemplateSpecification: ltSpecToWire(f.LaunchTemplate) }]
              : undefined,
            launchSpecifications: f.ImageIds?.map((imageId) => ({ imageId })),
          },
        })),
        nextToken: p.next,
      });
    },
    GetEbsEncryptionByDefault: (r) =>
      ec2Response("GetEbsEncryptionByDefault", {
        ebsEncryptionByDefault: rw(r)?.ebsEncryptionByDefault ?? false,
      }),
    GetEbsDefaultKmsKeyId: (r) =>
      ec2Response("GetEbsDefaultKmsKeyId", { kmsKeyId: rw(r)?.ebsDefaultKmsKeyId ?? "alias/aws/ebs" }),
    GetImageBlockPublicAccessState: (r) =>
      ec2Response("GetImageBlockPublicAccessState", {
        imageBlockPublicAccessState: rw(r)?.imageBlockPublicAccess ?? "unblocked",
      }),
    GetSnapshotBlockPublicAccessState: (r) =>
      ec2Response("GetSnapshotBlockPublicAccessState", {
        state: rw(r)?.snapshotBlockPublicAccess ?? "unblocked",
      }),
    GetAllowedImagesSettings: (r) => {
      const a = rw(r)?.allowedImages ?? { State: "disabled", criteria: 0 };
      return ec2Response("GetAllowedImagesSettings", {
        state: a.State,
        imageCriterionSet: Array.from({ length: a.criteria }, () => ({ imageProviderSet: ["amazon"] })),
        managedBy: "account",
      });
    },
    BatchGetAccountStatus: (r) => {
      const account = accountOf(r, w);
      return jsonResponse({
        accounts: [
          {
            accountId: account,
            state: { status: "ENABLED" },
            resourceState: {
              ec2: { status: rw(r)?.inspectorEc2 ?? "DISABLED" },
              ecr: { status: "DISABLED" },
            },
          },
        ],
        failedAccounts: [],
      });
    },
    DescribeTrails: (r) => {
      const trails = w.accounts[accountOf(r, w)]?.trails ?? [];
      return jsonResponse({
        trailList: trails.map((t) => ({
          Name: t.Name,
          TrailARN: `arn:aws:cloudtrail:${t.HomeRegion}:${accountOf(r, w)}:trail/${t.Name}`,
          HomeRegion: t.HomeRegion,
          IsMultiRegionTrail: t.IsMultiRegionTrail,
          IsOrganizationTrail: false,
          LogFileValidationEnabled: t.LogFileValidationEnabled,
        })),
      });
    },
    GetTrailStatus: (r) => {
      const name = String((r.json as { Name?: string }).Name ?? "");
      const t = (w.accounts[accountOf(r, w)]?.trails ?? []).find(
        (x) => name.endsWith(`trail/${x.Name}`) || name === x.Name,
      );
      if (!t) return jsonError("TrailNotFoundException", `Unknown trail: ${name}`);
      if (regionOf(r) !== t.HomeRegion)
        return jsonError("TrailNotFoundException", `trail ${name} is not in ${regionOf(r)}`);
      return jsonResponse({ IsLogging: t.IsLogging });
    },
    GetEventSelectors: (r) => {
      const name = String((r.json as { TrailName?: string }).TrailName ?? "");
      const t = (w.accounts[accountOf(r, w)]?.trails ?? []).find(
        (x) => name.endsWith(`trail/${x.Name}`) || name === x.Name,
      );
      if (!t) return jsonError("TrailNotFoundException", `Unknown trail: ${name}`);
      if (regionOf(r) !== t.HomeRegion)
        return jsonError("TrailNotFoundException", `trail ${name} is not in ${regionOf(r)}`);
      return jsonResponse({
        TrailARN: name,
        EventSelectors: t.EventSelectors ?? [{ ReadWriteType: "All", IncludeManagementEvents: true }],
      });
    },
  };
}

export const ROUTES = { "POST /status/batch/get": "BatchGetAccountStatus" };
