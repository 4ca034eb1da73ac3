/**
 * The audit's only contact with AWS: SDK clients per account and region (standard credential chain and
 * endpoint variables, `sts:AssumeRole` for other accounts, adaptive retries, timeouts), and the reads that fill
 * a RegionScan. Every call goes through `Calls.send`, which counts it; every failure is recorded as a StepError
 * naming the call, account and region, never thrown past the step that made it.
 */
import {
  DescribeImageAttributeCommand,
  DescribeFleetsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRegionsCommand,
  DescribeSpotFleetRequestsCommand,
  EC2Client,
  GetAllowedImagesSettingsCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  GetImageBlockPublicAccessStateCommand,
  GetSnapshotBlockPublicAccessStateCommand,
  type DescribeFleetsResult,
  type DescribeImagesResult,
  type DescribeInstancesResult,
  type DescribeLaunchTemplateVersionsResult,
  type DescribeSpotFleetRequestsResponse,
  type LaunchTemplateVersion,
} from "@aws-sdk/client-ec2";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroupsType,
} from "@aws-sdk/client-auto-scaling";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { BatchGetAccountStatusCommand, Inspector2Client } from "@aws-sdk/client-inspector2";
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from "@aws-sdk/client-cloudtrail";
import { SSMClient } from "@aws-sdk/client-ssm";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { LaunchPermission } from "ami-guard-policies/rules/facts";
import { describeError } from "ami-guard-policies/aws/lookup";
import { isParameterReference } from "ami-guard-policies/aws/ssm";
import { AMI_ID } from "ami-guard-policies/rules/patterns";
import {
  managementEventsOf,
  type AdvancedEventSelector,
  type BasicEventSelector,
  type RegionGuardrails,
  type TrailFacts,
} from "ami-guard-policies/rules/guardrails";
import { memoizeCredentials, type CredentialsProvider } from "ami-guard-policies/aws/assume-role";
import { mapLimit } from "./limit";
import { resolveParameterUses } from "./parameters";
import type { ImageUse, OwnedImage, RawImage, RegionScan, StepError } from "./model";

export interface ClientOptions {
  /** Attempts per call, retries included (adaptive retry mode). */
  maxAttempts: number;
  /** Milliseconds to wait for a connection, and for an answer once connected. */
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

interface Sender {
  send(command: unknown): Promise<unknown>;
}

/** Counts every AWS call by operation, and records failures. */
export class Calls {
  readonly count: Record<string, number> = {};
  readonly errors: StepError[] = [];

  async send<T>(client: Sender, command: { constructor: { name: string } }): Promise<T> {
    const op = command.constructor.name.replace(/Command$/, "");
    this.count[op] = (this.count[op] ?? 0) + 1;
    return (await client.send(command)) as T;
  }

  /** Runs `fn`; on failure records a StepError and returns undefined. */
  async step<T>(
    where: { account?: string; region?: string },
    step: string,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.errors.push({ ...where, step, cause: describeError(e) });
      return undefined;
    }
  }

  get total(): number {
    return Object.values(this.count).reduce((a, b) => a + b, 0);
  }
}

/** The clients of one account (the caller's credentials, or an assumed role), one per service and region. */
export class AccountClients {
  private readonly cache = new Map<string, unknown>();
  /** The assumed role's credentials, shared by every client of the account (one AssumeRole per expiry). */
  readonly credentials?: CredentialsProvider;

  constructor(
    private readonly options: ClientOptions,
    readonly roleArn?: string,
    baseRegion?: string,
  ) {
    if (roleArn) {
      this.credentials = memoizeCredentials(
        fromTemporaryCredentials({
          params: { RoleArn: roleArn, RoleSessionName: "ami-guard-audit", DurationSeconds: 3600 },
          clientConfig: {
            region: baseRegion,
            maxAttempts: options.maxAttempts,
            requestHandler: this.handler(),
          },
        }),
      );
    }
  }

  private handler() {
    // Without throwOnRequestTimeout the SDK's handler only logs a warning and keeps waiting.
    return {
      connectionTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      throwOnRequestTimeout: true,
    };
  }

  private get<T>(kind: string, region: string, make: (config: Record<string, unknown>) => T): T {
    const key = `${kind}/${region}`;
    let c = this.cache.get(key) as T | undefined;
    if (!c) {
      c = make({
        region,
        credentials: this.credentials,
        retryMode: "adaptive",
        maxAttempts: this.options.maxAttempts,
        requestHandler: this.handler(),
      });
      this.cache.set(key, c);
    }
    return c;
  }

  ec2(region: string): EC2Client {
    return this.get("ec2", region, (c) => new EC2Client(c));
  }
  sts(region: string): STSClient {
    return this.get("sts", region, (c) => new STSClient(c));
  }
  inspector(region: string): Inspector2Client {
    return this.get("inspector2", region, (c) => new Inspector2Client(c));
  }
  cloudtrail(region: string): CloudTrailClient {
    return this.get("cloudtrail", region, (c) => new CloudTrailClient(c));
  }
  autoscaling(region: string): AutoScalingClient {
    return this.get("autoscaling", region, (c) => new AutoScalingClient(c));
  }
  ssm(region: string): SSMClient {
    return this.get("ssm", region, (c) => new SSMClient(c));
  }

  destroy(): void {
    for (const c of this.cache.values()) (c as { destroy(): void }).destroy();
    this.cache.clear();
  }
}

/** The region the SDK would use: AWS_REGION, else the region of the profile (AWS_PROFILE) in the shared config. */
export async function defaultRegion(): Promise<string | undefined> {
  const c = new STSClient({});
  try {
    return await c.config.region();
  } catch {
    return undefined;
  } finally {
    c.destroy();
  }
}

/** The most pages one listing may take (1,000 pages of up to 1,000 items each). */
export const MAX_PAGES = 1000;

/**
 * Follows NextToken until it runs out. An answer that repeats its token, or a listing that is still handing out
 * new tokens after `maxPages` pages, is an error (the step is then reported as incomplete), not an endless loop.
 */
export async function paginate<T>(
  fetch: (token?: string) => Promise<{ items: T[]; next?: string }>,
  maxPages: number = MAX_PAGES,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    if (pages === maxPages)
      throw Object.assign(
        new Error(`stopped after ${maxPages} pages: every answer handed out a new NextToken`),
        { name: "PaginationLimit" },
      );
    pages++;
    const page = await fetch(token);
    out.push(...page.items);
    token = page.next || undefined;
    if (token !== undefined) {
      if (seen.has(token))
        throw Object.assign(new Error(`pagination repeated NextToken ${token}`), { name: "PaginationLoop" });
      seen.add(token);
    }
  } while (token !== undefined);
  return out;
}

export async function callerAccount(calls: Calls, clients: AccountClients, region: string): Promise<string> {
  const r = await calls.send<{ Account?: string }>(clients.sts(region), new GetCallerIdentityCommand({}));
  if (!r.Account)
    throw Object.assign(new Error("GetCallerIdentity returned no account"), { name: "MalformedResponse" });
  return r.Account;
}

/** The regions enabled for the account (opted-in or not requiring opt-in). */
export async function enabledRegions(
  calls: Calls,
  clients: AccountClients,
  region: string,
): Promise<string[]> {
  const r = await calls.send<{ Regions?: { RegionName?: string }[] }>(
    clients.ec2(region),
    new DescribeRegionsCommand({ AllRegions: false }),
  );
  return (r.Regions ?? [])
    .map((x) => x.RegionName)
    .filter((x): x is string => !!x)
    .sort();
}

export interface ScanOptions {
  /** DescribeImageAttribute calls in flight per region (the one per-image call). */
  concurrency: number;
  /** Called as work is found (add) and done (tick), for a progress bar. */
  progress?: { add(n: number): void; tick(n?: number): void };
}

const NOT_FOUND = new Set(["InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"]);
/** Fleet states in which the fleet still runs or launches instances. */
const FLEET_LIVE = new Set(["submitted", "active", "modifying", "deleted_running"]);
const SPOT_FLEET_LIVE = new Set(["submitted", "active", "modifying", "cancelled_running"]);
const IN_USE_STATES = ["pending", "running", "stopping", "stopped"];

/** A launch template version that an Auto Scaling group or a fleet launches: the template, the version, who. */
interface PinnedTemplate {
  id?: string;
  name?: string;
  /** A version number, `$Default` or `$Latest` (an unset version means `$Default`). */
  version: string;
  pinnedBy: string;
}

function pin(
  spec: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string } | undefined,
  pinnedBy: string,
): PinnedTemplate[] {
  if (!spec || (!spec.LaunchTemplateId && !spec.LaunchTemplateName)) return [];
  return [
    {
      id: spec.LaunchTemplateId,
      name: spec.LaunchTemplateName,
      version: spec.Version || "$Default",
      pinnedBy,
    },
  ];
}

/**
 * The image a launch template version launches, named `lt-… (name, version N[, pinned by …])`. A version whose
 * image is a `resolve:ssm:` reference EC2 did not resolve is kept for resolveParameterUses; any other image that is
 * not an AMI id is not dropped: it goes to `unresolved`, and the audit is incomplete.
 */
function templateUses(v: LaunchTemplateVersion, pinnedBy: string[], unresolved: string[]): ImageUse[] {
  const id = v.LaunchTemplateData?.ImageId;
  if (!id) return [];
  const name = v.LaunchTemplateName ? `${v.LaunchTemplateName}, ` : "";
  const by = pinnedBy.length > 0 ? `, pinned by ${pinnedBy.join(", ")}` : "";
  const resource = `${v.LaunchTemplateId ?? "(no id)"} (${name}version ${v.VersionNumber ?? "?"}${by})`;
  // A resolve:ssm: reference EC2 left unresolved goes on as is: resolveParameterUses resolves and judges it.
  if (isParameterReference(id)) return [{ imageId: id, resource, kind: "launch-template" }];
  if (!AMI_ID.test(id)) {
    unresolved.push(
      `launch template ${resource} launches ${JSON.stringify(id)}, which EC2 did not resolve to an AMI id: its image cannot be judged`,
    );
    return [];
  }
  return [{ imageId: id, resource, kind: "launch-template" }];
}

/**
 * Reads the numbered launch template versions that groups and fleets pin, one DescribeLaunchTemplateVersions
 * per template; a template or version that cannot be read is a failed step naming it and who pins it.
 */
async function readPinnedVersions(
  calls: Calls,
  ec2: EC2Client,
  where: { account: string; region: string },
  pins: readonly PinnedTemplate[],
  concurrency: number,
  unresolved: string[],
): Promise<ImageUse[]> {
  const byTemplate = new Map<string, { id?: string; name?: string; versions: Map<string, string[]> }>();
  for (const p of pins) {
    if (p.version === "$Default" || p.version === "$Latest") continue;
    const key = p.id ?? `name:${p.name}`;
    const t = byTemplate.get(key) ?? { id: p.id, name: p.name, versions: new Map<string, string[]>() };
    const by = t.versions.get(p.version) ?? [];
    if (!by.includes(p.pinnedBy)) by.push(p.pinnedBy);
    t.versions.set(p.version, by);
    byTemplate.set(key, t);
  }
  const read = await mapLimit([...byTemplate.values()], concurrency, (t) => {
    const wanted = [...t.versions.keys()];
    const pinners = [...new Set([...t.versions.values()].flat())].join(", ");
    return calls.step(
      where,
      `ec2:DescribeLaunchTemplateVersions ${t.id ?? t.name} version(s) ${wanted.join(", ")} (pinned by ${pinners})`,
      async () => {
        const r = await calls.send<DescribeLaunchTemplateVersionsResult>(
          ec2,
          new DescribeLaunchTemplateVersionsCommand({
            ...(t.id ? { LaunchTemplateId: t.id } : { LaunchTemplateName: t.name }),
            Versions: wanted,
            ResolveAlias: true,
          }),
        );
        const got = r.LaunchTemplateVersions ?? [];
        const missing = wanted.filter((v) => !got.some((x) => String(x.VersionNumber) === v));
        if (missing.length > 0)
          throw Object.assign(new Error(`the answer has no version ${missing.join(", ")}`), {
            name: "MalformedResponse",
          });
        return got.flatMap((v) => templateUses(v, t.versions.get(String(v.VersionNumber)) ?? [], unresolved));
      },
    );
  });
  return read.flatMap((x) => x ?? []);
}

/** Reads everything the audit judges in one region of one account. Never rejects; failures go to `calls`. */
export async function scanRegion(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
  options: ScanOptions,
): Promise<RegionScan> {
  const where = { account, region };
  const ec2 = clients.ec2(region);
  const progress = options.progress;
  progress?.add(5);

  const unresolved: string[] = [];
  const [ownedImages, instanceUses, latestTemplateUses, guardrails, asgPins, fleetPins, spotFleet] =
    await Promise.all([
      calls.step(where, "ec2:DescribeImages (Owners=self)", () =>
        paginate<RawImage>(async (NextToken) => {
          const r = await calls.send<DescribeImagesResult>(
            ec2,
            new DescribeImagesCommand({
              Owners: ["self"],
              IncludeDeprecated: true,
              IncludeDisabled: true,
              MaxResults: 1000,
              NextToken,
            }),
          );
          return { items: (r.Images ?? []) as RawImage[], next: r.NextToken };
        }),
      ),
      calls.step(where, "ec2:DescribeInstances", () =>
        paginate<ImageUse>(async (NextToken) => {
          const r = await calls.send<DescribeInstancesResult>(
            ec2,
            new DescribeInstancesCommand({
              MaxResults: 1000,
              NextToken,
              Filters: [{ Name: "instance-state-name", Values: IN_USE_STATES }],
            }),
          );
          const items: ImageUse[] = [];
          for (const res of r.Reservations ?? [])
            for (const i of res.Instances ?? [])
              if (i.ImageId && i.InstanceId)
                items.push({ imageId: i.ImageId, resource: i.InstanceId, kind: "instance" });
          return { items, next: r.NextToken };
        }),
      ),
      calls.step(where, "ec2:DescribeLaunchTemplateVersions ($Default, $Latest)", () =>
        paginate<ImageUse>(async (NextToken) => {
          const r = await calls.send<DescribeLaunchTemplateVersionsResult>(
            ec2,
            new DescribeLaunchTemplateVersionsCommand({
              Versions: ["$Default", "$Latest"],
              ResolveAlias: true,
              MaxResults: 200,
              NextToken,
            }),
          );
          const items = (r.LaunchTemplateVersions ?? []).flatMap((v) => templateUses(v, [], unresolved));
          return { items, next: r.NextToken };
        }),
      ),
      readGuardrails(calls, clients, account, region),
      calls.step(where, "autoscaling:DescribeAutoScalingGroups", () =>
        paginate<PinnedTemplate>(async (NextToken) => {
          const r = await calls.send<AutoScalingGroupsType>(
            clients.autoscaling(region),
            new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken }),
          );
          const items: PinnedTemplate[] = [];
          for (const g of r.AutoScalingGroups ?? []) {
            const by = `Auto Scaling group ${g.AutoScalingGroupName ?? "(unnamed)"}`;
            const mixed = g.MixedInstancesPolicy?.LaunchTemplate;
            items.push(
              ...pin(g.LaunchTemplate, by),
              ...pin(mixed?.LaunchTemplateSpecification, by),
              ...(mixed?.Overrides ?? []).flatMap((o) => pin(o.LaunchTemplateSpecification, by)),
            );
          }
          return { items, next: r.NextToken };
        }),
      ),
      calls.step(where, "ec2:DescribeFleets", () =>
        paginate<PinnedTemplate>(async (NextToken) => {
          const r = await calls.send<DescribeFleetsResult>(
            ec2,
            new DescribeFleetsCommand({ MaxResults: 1000, NextToken }),
          );
          const items: PinnedTemplate[] = [];
          for (const f of r.Fleets ?? []) {
            if (!FLEET_LIVE.has(String(f.FleetState))) continue;
            const by = `EC2 Fleet ${f.FleetId ?? "(no id)"}`;
            for (const c of f.LaunchTemplateConfigs ?? [])
              items.push(...pin(c.LaunchTemplateSpecification, by));
          }
          return { items, next: r.NextToken };
        }),
      ),
      calls.step(where, "ec2:DescribeSpotFleetRequests", () =>
        paginate<PinnedTemplate | ImageUse>(async (NextToken) => {
          const r = await calls.send<DescribeSpotFleetRequestsResponse>(
            ec2,
            new DescribeSpotFleetRequestsCommand({ MaxResults: 1000, NextToken }),
          );
          const items: (PinnedTemplate | ImageUse)[] = [];
          for (const f of r.SpotFleetRequestConfigs ?? []) {
            if (!SPOT_FLEET_LIVE.has(String(f.SpotFleetRequestState))) continue;
            const by = `Spot Fleet request ${f.SpotFleetRequestId ?? "(no id)"}`;
            const config = f.SpotFleetRequestConfig;
            for (const c of config?.LaunchTemplateConfigs ?? [])
              items.push(...pin(c.LaunchTemplateSpecification, by));
            for (const l of config?.LaunchSpecifications ?? [])
              if (l.ImageId) items.push({ imageId: l.ImageId, resource: by, kind: "fleet" });
          }
          return { items, next: r.NextToken };
        }),
      ),
    ]);
  const spotPins = (spotFleet ?? []).filter((x): x is PinnedTemplate => "pinnedBy" in x);
  const fleetUses = (spotFleet ?? []).filter((x): x is ImageUse => "imageId" in x);

  // The numbered versions that groups and fleets pin ($Default and $Latest of every template are read above).
  const pinnedUses = await readPinnedVersions(
    calls,
    ec2,
    where,
    [...(asgPins ?? []), ...(fleetPins ?? []), ...spotPins],
    options.concurrency,
    unresolved,
  );
  for (const u of unresolved)
    calls.errors.push({
      ...where,
      step: "ec2:DescribeLaunchTemplateVersions (image not resolved)",
      cause: u,
    });
  progress?.tick(4);

  // Launch permissions: one call per owned image (there is no batch call), at bounded concurrency.
  const images = ownedImages ?? [];
  progress?.add(images.length);
  let failed = 0;
  let firstCause = "";
  const owned: OwnedImage[] = await mapLimit(images, options.concurrency, async (image) => {
    try {
      const r = await calls.send<{ LaunchPermissions?: LaunchPermission[] }>(
        ec2,
        new DescribeImageAttributeCommand({ ImageId: image.ImageId, Attribute: "launchPermission" }),
      );
      // An answer without the launchPermission element says nothing about sharing: it is not "shared with
      // nobody" (an image shared with no one comes back as an empty launchPermission list).
      if (!Array.isArray(r?.LaunchPermissions))
        throw Object.assign(new Error("the answer has no launchPermission list, so its sharing is unknown"), {
          name: "MalformedResponse",
        });
      return { image, launchPermissions: r.LaunchPermissions };
    } catch (e) {
      if (failed++ === 0) firstCause = `${image.ImageId}: ${describeError(e)}`;
      return { image, launchPermissionsError: `ec2:DescribeImageAttribute failed (${describeError(e)})` };
    } finally {
      progress?.tick();
    }
  });
  if (failed > 0) {
    calls.errors.push({
      ...where,
      step: `ec2:DescribeImageAttribute launchPermission (${failed} of ${images.length} images)`,
      cause: firstCause,
    });
  }

  // Launch template images named through SSM parameters: resolved (a failure makes the audit partial).
  const resolved = await resolveParameterUses(calls, clients, account, region, [
    ...(latestTemplateUses ?? []),
    ...pinnedUses,
  ]);

  // Images in use that the owned listing did not cover: batched DescribeImages by id.
  const uses = [...(instanceUses ?? []), ...resolved.uses, ...fleetUses];
  const ownedIds = new Set(images.map((i) => i.ImageId));
  const wanted = [...new Set(uses.map((u) => u.imageId))].filter((id) => !ownedIds.has(id)).sort();
  const used = new Map<string, RawImage | "not-found" | "error">();
  const batches: string[][] = [];
  for (let i = 0; i < wanted.length; i += 100) batches.push(wanted.slice(i, i + 100));
  const batchErrors: string[] = [];
  await mapLimit(batches, options.concurrency, async (ids) => {
    for (const [id, r] of await describeByIds(calls, ec2, ids, batchErrors)) used.set(id, r);
  });
  if (batchErrors.length > 0) {
    const n = [...used.values()].filter((v) => v === "error").length;
    calls.errors.push({ ...where, step: `ec2:DescribeImages (${n} image(s) in use)`, cause: batchErrors[0] });
  }
  progress?.tick();
  return { account, region, owned, used, uses, guardrails, parameters: resolved.parameters };
}

/** DescribeImages for ids; a not-found error splits the batch so one deregistered id cannot hide the rest. */
export async function describeByIds(
  calls: Calls,
  ec2: EC2Client,
  ids: string[],
  errors: string[],
): Promise<Map<string, RawImage | "not-found" | "error">> {
  const out = new Map<string, RawImage | "not-found" | "error">();
  try {
    const r = await calls.send<DescribeImagesResult>(
      ec2,
      new DescribeImagesCommand({ ImageIds: ids, IncludeDeprecated: true, IncludeDisabled: true }),
    );
    for (const image of (r.Images ?? []) as RawImage[])
      if (image.ImageId && ids.includes(image.ImageId)) out.set(image.ImageId, image);
    for (const id of ids) if (!out.has(id)) out.set(id, "not-found");
  } catch (e) {
    const name = (e as { Code?: string; name?: string })?.Code ?? (e as { name?: string })?.name ?? "";
    if (NOT_FOUND.has(name)) {
      if (ids.length === 1) {
        out.set(ids[0], "not-found");
      } else {
        const mid = Math.ceil(ids.length / 2);
        for (const half of [ids.slice(0, mid), ids.slice(mid)])
          for (const [k, v] of await describeByIds(calls, ec2, half, errors)) out.set(k, v);
      }
    } else {
      errors.push(describeError(e));
      for (const id of ids) out.set(id, "error");
    }
  }
  return out;
}

/** Reads the region's guardrail settings; each one that fails is left undefined and recorded. */
export async function readGuardrails(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
): Promise<RegionGuardrails> {
  const where = { account, region };
  const ec2 = clients.ec2(region);
  const [enc, key, image, snapshot, allowed, inspector] = await Promise.all([
    calls.step(where, "ec2:GetEbsEncryptionByDefault", () =>
      calls.send<{ EbsEncryptionByDefault?: boolean }>(ec2, new GetEbsEncryptionByDefaultCommand({})),
    ),
    calls.step(where, "ec2:GetEbsDefaultKmsKeyId", () =>
      calls.send<{ KmsKeyId?: string }>(ec2, new GetEbsDefaultKmsKeyIdCommand({})),
    ),
    calls.step(where, "ec2:GetImageBlockPublicAccessState", () =>
      calls.send<{ ImageBlockPublicAccessState?: string }>(
        ec2,
        new GetImageBlockPublicAccessStateCommand({}),
      ),
    ),
    calls.step(where, "ec2:GetSnapshotBlockPublicAccessState", () =>
      calls.send<{ State?: string }>(ec2, new GetSnapshotBlockPublicAccessStateCommand({})),
    ),
    calls.step(where, "ec2:GetAllowedImagesSettings", () =>
      calls.send<{ State?: string; ImageCriteria?: unknown[]; ManagedBy?: string }>(
        ec2,
        new GetAllowedImagesSettingsCommand({}),
      ),
    ),
    calls.step(where, "inspector2:BatchGetAccountStatus", async () => {
      const r = await calls.send<{
        accounts?: { accountId?: string; resourceState?: { ec2?: { status?: string } } }[];
        failedAccounts?: { accountId?: string; errorCode?: string; errorMessage?: string }[];
      }>(clients.inspector(region), new BatchGetAccountStatusCommand({ accountIds: [account] }));
      const failed = r.failedAccounts?.find((a) => a.accountId === account);
      if (failed)
        throw Object.assign(new Error(failed.errorMessage ?? "failed"), {
          name: failed.errorCode ?? "FailedAccount",
        });
      const status = r.accounts?.find((a) => a.accountId === account)?.resourceState?.ec2?.status;
      if (!status)
        throw Object.assign(new Error(`no EC2 status for account ${account}`), { name: "MalformedResponse" });
      return status;
    }),
  ]);
  return {
    ebsEncryptionByDefault: enc === undefined ? undefined : enc.EbsEncryptionByDefault === true,
    ebsDefaultKmsKeyId: key?.KmsKeyId,
    imageBlockPublicAccess:
      image === undefined ? undefined : (image.ImageBlockPublicAccessState ?? "unblocked"),
    snapshotBlockPublicAccess: snapshot === undefined ? undefined : (snapshot.State ?? "unblocked"),
    allowedImages:
      allowed === undefined
        ? undefined
        : {
            state: allowed.State ?? "disabled",
            criteria: allowed.ImageCriteria?.length ?? 0,
            managedBy: allowed.ManagedBy,
          },
    inspectorEc2: inspector,
  };
}

/**
 * The account's trails as seen from `region` (shadow trails included) and, for its multi-region ones, their
 * status and which management events they record (GetEventSelectors), each read in the trail's home region.
 */
export async function readTrails(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
): Promise<TrailFacts[] | undefined> {
  const where = { account, region };
  const r = await calls.step(where, "cloudtrail:DescribeTrails", () =>
    calls.send<{
      trailList?: {
        Name?: string;
        TrailARN?: string;
        HomeRegion?: string;
        IsMultiRegionTrail?: boolean;
        IsOrganizationTrail?: boolean;
        LogFileValidationEnabled?: boolean;
      }[];
    }>(clients.cloudtrail(region), new DescribeTrailsCommand({ includeShadowTrails: true })),
  );
  if (r === undefined) return undefined;
  return Promise.all(
    (r.trailList ?? []).map(async (t): Promise<TrailFacts> => {
      const facts: TrailFacts = {
        name: t.Name ?? t.TrailARN ?? "unnamed trail",
        arn: t.TrailARN,
        homeRegion: t.HomeRegion,
        multiRegion: t.IsMultiRegionTrail === true,
        organization: t.IsOrganizationTrail === true,
        logFileValidation: t.LogFileValidationEnabled === true,
      };
      if (facts.multiRegion) {
        const home = t.HomeRegion ?? region;
        const s = await calls.step({ account, region: home }, `cloudtrail:GetTrailStatus ${facts.name}`, () =>
          calls.send<{ IsLogging?: boolean }>(
            clients.cloudtrail(home),
            new GetTrailStatusCommand({ Name: t.TrailARN ?? t.Name }),
          ),
        );
        facts.logging = s === undefined ? undefined : s.IsLogging === true;
        const sel = await calls.step(
          { account, region: home },
          `cloudtrail:GetEventSelectors ${facts.name}`,
          () =>
            calls.send<{
              EventSelectors?: BasicEventSelector[];
              AdvancedEventSelectors?: AdvancedEventSelector[];
            }>(clients.cloudtrail(home), new GetEventSelectorsCommand({ TrailName: t.TrailARN ?? t.Name })),
        );
        facts.managementEvents =
          sel === undefined ? undefined : managementEventsOf(sel.EventSelectors, sel.AdvancedEventSelectors);
      }
      return facts;
    }),
  );
}
