/**
 * Benchmark 2: per-resource cost. Each pack is started as the engine starts it, configured as the engine
 * configures it (GetAnalyzerInfo, Configure with the schema defaults applied, ConfigureStack), then sent 600
 * `aws:ec2/instance:Instance` resources over 20 distinct AMIs, one Analyze at a time, with their default AWS
 * provider. Ours looks every AMI up in a loopback EC2 endpoint that answers after a fixed latency; the anchor
 * judges inputs only. The time is Analyze #1 sent → Analyze #600 answered, divided by 600.
 */
import type { AnalyzedResource, PolicyConfig, ProviderResource } from "../src/analyzer/types";
import { startEc2Server } from "../tests/helpers/ec2-server";
import {
  ANCHOR_DIR,
  PACK_DIR,
  log,
  loopbackAwsEnv,
  median,
  memoryOf,
  offlineEnv,
  policyConfig,
  since,
} from "./lib/common";
import { TRUSTED, lookupHandlers, perResourceImages, type WorldStats } from "./lib/ec2-world";
import { startTimed } from "./startup";

export const RESOURCES = 600;
export const DISTINCT_AMIS = 20;

export interface ResourceSample {
  totalMs: number;
  perResourceMs: number;
  /** The first resource (ours loads the AWS SDK for it), the first 20 (each a new AMI for ours: a look-up each). */
  firstResourceMs: number;
  firstMs: number;
  restPerResourceMs: number;
  describeImagesCalls: number;
  describeImagesIds: number;
  describeImageAttributeCalls: number;
  diagnostics: number;
  resourcesFlagged: number;
  peakMiB: number;
}

export interface PerResourceResult {
  runs: number;
  latencyMs: number;
  ours: ResourceSample[];
  anchor: ResourceSample[];
  medians: Record<"ours" | "anchor", { perResourceMs: number; restPerResourceMs: number; peakMiB: number }>;
  ratio: number;
  /** Checks that our pack judged every AMI (its verdicts match the fixtures); empty when all is well. */
  problems: string[];
  lookups: { describeImagesCalls: number; describeImagesIds: number; describeImageAttributeCalls: number };
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

async function runOne(
  dir: string,
  env: NodeJS.ProcessEnv,
  configDoc: unknown,
  resources: AnalyzedResource[],
): Promise<{
  totalMs: number;
  firstResourceMs: number;
  firstMs: number;
  diagnostics: number;
  flagged: Map<string, string[]>;
  peakMiB: number;
}> {
  const { pack, info } = await startTimed(dir, env);
  try {
    const config: Record<string, PolicyConfig> = policyConfig().buildPolicyConfig(info, configDoc, undefined);
    await pack.configure(config);
    await pack.configureStack({ stack: STACK, project: PROJECT, organization: "organization", dryRun: true });
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
      if (i === DISTINCT_AMIS - 1) firstMs = since(t0);
    }
    const totalMs = since(t0);
    return {
      totalMs,
      firstResourceMs,
      firstMs,
      diagnostics,
      flagged,
      peakMiB: memoryOf(pack.child.pid!).peakMiB,
    };
  } finally {
    await pack.close();
  }
}

export async function benchPerResource(runs: number, latencyMs: number): Promise<PerResourceResult> {
  const { images, expected } = perResourceImages(Date.now());
  const amiIds = images.map((i) => String(i.ImageId));
  const resources = instances(amiIds);
  const ours: ResourceSample[] = [];
  const anchor: ResourceSample[] = [];
  const problems: string[] = [];

  const sample = (
    r: Awaited<ReturnType<typeof runOne>>,
    calls: { di: number; ids: number; attr: number },
  ): ResourceSample => ({
    totalMs: r.totalMs,
    perResourceMs: r.totalMs / RESOURCES,
    firstResourceMs: r.firstResourceMs,
    firstMs: r.firstMs,
    restPerResourceMs: (r.totalMs - r.firstMs) / (RESOURCES - DISTINCT_AMIS),
    describeImagesCalls: calls.di,
    describeImagesIds: calls.ids,
    describeImageAttributeCalls: calls.attr,
    diagnostics: r.diagnostics,
    resourcesFlagged: r.flagged.size,
    peakMiB: r.peakMiB,
  });

  for (let run = 0; run < runs; run++) {
    const order: ("ours" | "anchor")[] = run % 2 === 0 ? ["ours", "anchor"] : ["anchor", "ours"];
    for (const which of order) {
      if (which === "anchor") {
        const r = await runOne(ANCHOR_DIR, offlineEnv(), undefined, resources);
        anchor.push(sample(r, { di: 0, ids: 0, attr: 0 }));
        log(
          `  per-resource run ${run + 1}/${runs} awsguard: ${(r.totalMs / RESOURCES).toFixed(2)} ms/resource`,
        );
        continue;
      }
      const stats: WorldStats = { describeImagesIds: 0, throttledByAction: {} };
      const server = await startEc2Server({ handlers: lookupHandlers(images, stats), latencyMs });
      try {
        const r = await runOne(PACK_DIR, loopbackAwsEnv({ ec2: server.url }), OURS_CONFIG, resources);
        const s = sample(r, {
          di: server.calls.DescribeImages ?? 0,
          ids: stats.describeImagesIds,
          attr: server.calls.DescribeImageAttribute ?? 0,
        });
        ours.push(s);
        log(
          `  per-resource run ${run + 1}/${runs} ami-guard: ${s.perResourceMs.toFixed(2)} ms/resource, ` +
            `${s.describeImagesCalls} DescribeImages (${s.describeImagesIds} ids)`,
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
  const med = (xs: ResourceSample[]) => ({
    perResourceMs: median(xs.map((x) => x.perResourceMs)),
    restPerResourceMs: median(xs.map((x) => x.restPerResourceMs)),
    peakMiB: median(xs.map((x) => x.peakMiB)),
  });
  const m = { ours: med(ours), anchor: med(anchor) };
  return {
    runs,
    latencyMs,
    ours,
    anchor,
    medians: m,
    ratio: m.ours.perResourceMs / m.anchor.perResourceMs,
    problems: problems.slice(0, 10),
    lookups: {
      describeImagesCalls: Math.max(...ours.map((s) => s.describeImagesCalls)),
      describeImagesIds: Math.max(...ours.map((s) => s.describeImagesIds)),
      describeImageAttributeCalls: Math.max(...ours.map((s) => s.describeImageAttributeCalls)),
    },
  };
}
