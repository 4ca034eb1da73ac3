/**
 * Benchmark 2: per-resource cost. Each pack is started as the engine starts it, configured as the engine
 * configures it (GetAnalyzerInfo, Configure with the schema defaults applied, ConfigureStack), then, after a
 * pause standing for the engine running the program (the engine configures a pack before it runs the program,
 * and sends the first Analyze only when the program registers its first resource), sent 600
 * `aws:ec2/instance:Instance` resources over 20 distinct AMIs, one Analyze at a time, with their default AWS
 * provider. Ours looks every AMI up in a loopback EC2 (and STS) endpoint that answers after a fixed latency (0:
 * at once); the anchor and the floor pack (one no-op policy) judge inputs only. The time is Analyze #1 sent →
 * Analyze #600 answered, divided by 600; Configure sent → ConfigureStack answered is reported apart.
 */
import type { AnalyzedResource, PolicyConfig, ProviderResource } from "../src/analyzer/types";
import * as path from "node:path";
import { queryResponse, startEc2Server } from "../testing/ec2-server";
import {
  ANCHOR_DIR,
  BENCH,
  PACK_DIR,
  cpuOf,
  log,
  mainThreadCpuOf,
  loopbackAwsEnv,
  median,
  memoryOf,
  offlineEnv,
  policyConfig,
  since,
} from "./lib/common";
import { TRUSTED, lookupHandlers, perResourceImages, type WorldStats } from "../testing/bench-world";
import { startTimed } from "./startup";

export const RESOURCES = 600;
export const DISTINCT_AMIS = 20;

export interface ResourceSample {
  /** Configure sent → ConfigureStack answered. */
  configureMs: number;
  totalMs: number;
  perResourceMs: number;
  /** The first resource (ours loads the AWS SDK for it), the first 20 (each a new AMI for ours: a look-up each). */
  firstResourceMs: number;
  firstMs: number;
  restPerResourceMs: number;
  /**
   * The pack process's CPU time (utime + stime, /proc/<pid>/stat) in the pause after ConfigureStack, over the
   * first 20 resources, and per resource over the 580 after them: what the pack itself spends, apart from
   * waiting for a CPU on a loaded machine.
   */
  pauseCpuMs: number;
  firstCpuMs: number;
  restCpuPerResourceMs: number;
  /** The same over the 580, the pack's main thread alone (the rest is its other threads: V8's compiler, GC). */
  restMainCpuPerResourceMs: number;
  describeImagesCalls: number;
  describeImagesIds: number;
  describeImageAttributeCalls: number;
  getCallerIdentityCalls: number;
  diagnostics: number;
  resourcesFlagged: number;
  peakMiB: number;
}

export type Side = "ours" | "anchor" | "floor";

export interface SideMedians {
  perResourceMs: number;
  restPerResourceMs: number;
  firstMs: number;
  configureMs: number;
  peakMiB: number;
  pauseCpuMs: number;
  firstCpuMs: number;
  restCpuPerResourceMs: number;
  restMainCpuPerResourceMs: number;
}

export interface PerResourceResult {
  runs: number;
  latencyMs: number;
  /** The pause between ConfigureStack answered and the first Analyze (the engine running the program). */
  programMs: number;
  ours: ResourceSample[];
  anchor: ResourceSample[];
  floor: ResourceSample[];
  medians: Record<Side, SideMedians>;
  /** Ours ÷ anchor per resource, all 600. */
  ratio: number;
  /** Ours ÷ anchor per resource on the 580 after the first sighting of each AMI. */
  restRatio: number;
  /** Checks that our pack judged every AMI (its verdicts match the fixtures); empty when all is well. */
  problems: string[];
  lookups: {
    describeImagesCalls: number;
    describeImagesIds: number;
    describeImageAttributeCalls: number;
    getCallerIdentityCalls: number;
    /** Distinct AMIs, and those the caller's account (the STS answer) owns. */
    distinctAmis: number;
    ownedAmis: number;
  };
}

const STACK = "bench";
const PROJECT = "ami-guard-bench";

const provider: ProviderResource = {
  type: "pulumi:providers:aws",
  name: "default_7_48_0",
  urn: `urn:pulumi:${STACK}::${PROJECT}::pulumi:providers:aws::default_7_48_0`,
  properties: { region: "us-east-1", version: "7.48.0" },
};

/** The 600 instances as the engine sends them: inputs, options and their default provider. */
export function instances(amiIds: string[]): AnalyzedResource[] {
  const out: AnalyzedResource[] = [];
  for (let i = 0; i < RESOURCES; i++) {
    const name = `web-${i}`;
    out.push({
      type: "aws:ec2/instance:Instance",
      name,
      urn: `urn:pulumi:${STACK}::${PROJECT}::aws:ec2/instance:Instance::${name}`,
      properties: {
        ami: amiIds[i % amiIds.length],
        instanceType: "t3.micro",
        subnetId: "subnet-0123456789abcdef0",
        vpcSecurityGroupIds: ["sg-0123456789abcdef0"],
        associatePublicIpAddress: false,
        monitoring: true,
        ebsOptimized: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" },
        rootBlockDevice: { encrypted: true, volumeSize: 20, volumeType: "gp3", deleteOnTermination: true },
        tags: { Name: name, Environment: "prod", Team: "platform" },
      },
      options: {},
      provider,
    });
  }
  return out;
}

/** Our pack's configuration: the AMIs' owner is trusted, the pack's defaults for the rest. */
const OURS_CONFIG = {
  "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", TRUSTED] },
  "ec2-ami-disallow-stale-image": { maxAgeDays: 90 },
};

export const FLOOR_DIR = path.join(BENCH, "floor-pack");

async function runOne(
  dir: string,
  env: NodeJS.ProcessEnv,
  configDoc: unknown,
  resources: AnalyzedResource[],
  programMs: number,
): Promise<{
  configureMs: number;
  totalMs: number;
  firstResourceMs: number;
  firstMs: number;
  diagnostics: number;
  flagged: Map<string, string[]>;
  peakMiB: number;
  pauseCpuMs: number;
  firstCpuMs: number;
  restCpuMs: number;
  restMainCpuMs: number;
}> {
  const { pack, info } = await startTimed(dir, env);
  try {
    const config: Record<string, PolicyConfig> = policyConfig().toConfigure(
      policyConfig().parsePackConfig(configDoc, "the bench's config"),
      info,
    );
    const c0 = process.hrtime.bigint();
    await pack.configure(config);
    await pack.configureStack({ stack: STACK, project: PROJECT, organization: "organization", dryRun: true });
    const configureMs = since(c0);
    const pid = pack.child.pid!;
    const cpuConfigured = cpuOf(pid);
    if (programMs > 0) await new Promise((resolve) => setTimeout(resolve, programMs));
    const cpu0 = cpuOf(pid);
    let cpuFirst = cpu0;
    let mainFirst = mainThreadCpuOf(pid);
    const flagged = new Map<string, string[]>();
    let diagnostics = 0;
    let firstMs = 0;
    let firstResourceMs = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < resources.length; i++) {
      const res = await pack.analyze(resources[i]);
      diagnostics += res.diagnostics.length;
      if (res.diagnostics.length > 0)
        flagged.set(
          resources[i].name,
          res.diagnostics.map((d) => d.policyName),
        );
      if (i === 0) firstResourceMs = since(t0);
      if (i === DISTINCT_AMIS - 1) {
        firstMs = since(t0);
        cpuFirst = cpuOf(pid);
        mainFirst = mainThreadCpuOf(pid);
      }
    }
    const totalMs = since(t0);
    const cpuEnd = cpuOf(pid);
    const mainEnd = mainThreadCpuOf(pid);
    return {
      configureMs,
      totalMs,
      firstResourceMs,
      firstMs,
      diagnostics,
      flagged,
      peakMiB: memoryOf(pid).peakMiB,
      pauseCpuMs: cpu0 - cpuConfigured,
      firstCpuMs: cpuFirst - cpu0,
      restCpuMs: cpuEnd - cpuFirst,
      restMainCpuMs: mainEnd - mainFirst,
    };
  } finally {
    await pack.close();
  }
}

/** The caller's account as the loopback STS answers it: the account that owns the benchmark's good AMIs. */
const CALLER = TRUSTED;

export async function benchPerResource(
  runs: number,
  latencyMs: number,
  programMs: number,
): Promise<PerResourceResult> {
  const { images, expected } = perResourceImages(Date.now());
  const amiIds = images.map((i) => String(i.ImageId));
  const resources = instances(amiIds);
  const samples: Record<Side, ResourceSample[]> = { ours: [], anchor: [], floor: [] };
  const problems: string[] = [];

  const sample = (
    r: Awaited<ReturnType<typeof runOne>>,
    calls: { di: number; ids: number; attr: number; sts: number },
  ): ResourceSample => ({
    configureMs: r.configureMs,
    totalMs: r.totalMs,
    perResourceMs: r.totalMs / RESOURCES,
    firstResourceMs: r.firstResourceMs,
    firstMs: r.firstMs,
    restPerResourceMs: (r.totalMs - r.firstMs) / (RESOURCES - DISTINCT_AMIS),
    pauseCpuMs: r.pauseCpuMs,
    firstCpuMs: r.firstCpuMs,
    restCpuPerResourceMs: r.restCpuMs / (RESOURCES - DISTINCT_AMIS),
    restMainCpuPerResourceMs: r.restMainCpuMs / (RESOURCES - DISTINCT_AMIS),
    describeImagesCalls: calls.di,
    describeImagesIds: calls.ids,
    describeImageAttributeCalls: calls.attr,
    getCallerIdentityCalls: calls.sts,
    diagnostics: r.diagnostics,
    resourcesFlagged: r.flagged.size,
    peakMiB: r.peakMiB,
  });
  const none = { di: 0, ids: 0, attr: 0, sts: 0 };

  for (let run = 0; run < runs; run++) {
    const order: Side[] = run % 2 === 0 ? ["ours", "anchor", "floor"] : ["floor", "anchor", "ours"];
    for (const which of order) {
      if (which !== "ours") {
        const r = await runOne(
          which === "anchor" ? ANCHOR_DIR : FLOOR_DIR,
          offlineEnv(),
          undefined,
          resources,
          programMs,
        );
        samples[which].push(sample(r, none));
        log(
          `  per-resource run ${run + 1}/${runs} ${which}: ${(r.totalMs / RESOURCES).toFixed(2)} ms/resource, ` +
            `first 20 ${r.firstMs.toFixed(0)} ms; pack CPU: pause ${r.pauseCpuMs} ms, first 20 ${r.firstCpuMs} ms, ` +
            `${(r.restCpuMs / (RESOURCES - DISTINCT_AMIS)).toFixed(2)} ms/resource after ` +
            `(main thread ${(r.restMainCpuMs / (RESOURCES - DISTINCT_AMIS)).toFixed(2)})`,
        );
        continue;
      }
      const stats: WorldStats = { describeImagesIds: 0, throttledByAction: {} };
      const server = await startEc2Server({
        handlers: {
          ...lookupHandlers(images, stats),
          GetCallerIdentity: () =>
            queryResponse("GetCallerIdentity", {
              Account: CALLER,
              Arn: `arn:aws:sts::${CALLER}:assumed-role/deployer/bench`,
              UserId: "AROABENCH:bench",
            }),
        },
        latencyMs,
      });
      try {
        const r = await runOne(
          PACK_DIR,
          loopbackAwsEnv({ ec2: server.url }, { AWS_ENDPOINT_URL_STS: server.url }),
          OURS_CONFIG,
          resources,
          programMs,
        );
        const s = sample(r, {
          di: server.calls.DescribeImages ?? 0,
          ids: stats.describeImagesIds,
          attr: server.calls.DescribeImageAttribute ?? 0,
          sts: server.calls.GetCallerIdentity ?? 0,
        });
        samples.ours.push(s);
        log(
          `  per-resource run ${run + 1}/${runs} ours: ${s.perResourceMs.toFixed(2)} ms/resource, ` +
            `first 20 ${s.firstMs.toFixed(0)} ms; pack CPU: pause ${s.pauseCpuMs} ms, first 20 ${s.firstCpuMs} ms, ` +
            `${s.restCpuPerResourceMs.toFixed(2)} ms/resource after (main thread ${s.restMainCpuPerResourceMs.toFixed(2)}); ` +
            `${s.describeImagesCalls} DescribeImages (${s.describeImagesIds} ids), ` +
            `${s.describeImageAttributeCalls} DescribeImageAttribute, ${s.getCallerIdentityCalls} GetCallerIdentity`,
        );
        // Our pack must have judged every AMI: exactly the resources on the four bad AMIs are flagged, each
        // by the policy its AMI breaks.
        for (const res of resources) {
          const want = expected.get(String(res.properties.ami));
          const got = r.flagged.get(res.name) ?? [];
          if (want ? !got.includes(want) : got.length > 0) {
            problems.push(
              `run ${run + 1}: ${res.name} on ${String(res.properties.ami)} got [${got.join(", ")}], expected [${want ?? ""}]`,
            );
          }
        }
      } finally {
        await server.close();
      }
    }
  }
  const med = (xs: ResourceSample[]): SideMedians => ({
    perResourceMs: median(xs.map((x) => x.perResourceMs)),
    restPerResourceMs: median(xs.map((x) => x.restPerResourceMs)),
    firstMs: median(xs.map((x) => x.firstMs)),
    configureMs: median(xs.map((x) => x.configureMs)),
    peakMiB: median(xs.map((x) => x.peakMiB)),
    pauseCpuMs: median(xs.map((x) => x.pauseCpuMs)),
    firstCpuMs: median(xs.map((x) => x.firstCpuMs)),
    restCpuPerResourceMs: median(xs.map((x) => x.restCpuPerResourceMs)),
    restMainCpuPerResourceMs: median(xs.map((x) => x.restMainCpuPerResourceMs)),
  });
  const m = { ours: med(samples.ours), anchor: med(samples.anchor), floor: med(samples.floor) };
  const ours = samples.ours;
  return {
    runs,
    latencyMs,
    programMs,
    ...samples,
    medians: m,
    ratio: m.ours.perResourceMs / m.anchor.perResourceMs,
    restRatio: m.ours.restPerResourceMs / m.anchor.restPerResourceMs,
    problems: problems.slice(0, 10),
    lookups: {
      describeImagesCalls: Math.max(...ours.map((s) => s.describeImagesCalls)),
      describeImagesIds: Math.max(...ours.map((s) => s.describeImagesIds)),
      describeImageAttributeCalls: Math.max(...ours.map((s) => s.describeImageAttributeCalls)),
      getCallerIdentityCalls: Math.max(...ours.map((s) => s.getCallerIdentityCalls)),
      distinctAmis: images.length,
      ownedAmis: images.filter((i) => i.OwnerId === CALLER).length,
    },
  };
}
