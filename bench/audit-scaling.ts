/**
 * Benchmark 3: audit scaling. The compiled CLI (`ami-guard audit --region us-east-1 --format json`, its
 * defaults otherwise) audits an account owning N AMIs on a loopback endpoint that throttles each EC2 API with
 * its own token bucket, as EC2 does (100 tokens, 20 per second for a non-mutating action).
 *
 * Time is scaled so the largest account fits in a benchmark run: with scale k every bucket refills k times
 * faster and the endpoint answers after 50/k ms, so the audit meets the same limits in 1/k of the time; its wall
 * time is compared with the ideal at the same scale, so the ratio does not depend on k. The SDK's own waits
 * (retry back-off, its adaptive rate limiter) are not scaled, which makes any throttling cost k times more here
 * than on EC2: a ratio measured at k > 1 is an upper bound. `--time-scale 1` runs at EC2's real rates.
 */
import { spawn } from "node:child_process";
import { ec2Response, queryResponse, startEc2Server, type Ec2Handler } from "../testing/ec2-server";
import { CLI, ROOT, log, loopbackAwsEnv, median, memoryOf, since } from "./lib/common";
import {
  AUDIT_EC2_ACTIONS,
  AUDIT_ROUTES,
  EC2_NON_MUTATING,
  auditHandlers,
  throttled,
  timed,
  type WorldStats,
} from "../testing/bench-world";

/** What a real DescribeImageAttribute round trip takes, before scaling (in-region, ms). */
export const EC2_LATENCY_MS = 50;

export interface AuditSample {
  images: number;
  wallMs: number;
  /** Spawn → the first call at the endpoint (process start, SDK load, credentials). */
  firstCallMs: number;
  /** The first call → the last (the part the rate limit governs). */
  apiPhaseMs: number;
  idealMs: number;
  exitCode: number | null;
  complete: boolean;
  imagesScanned: number;
  findings: number;
  /** Calls the audit made (its own count, retries not included). */
  auditApiCalls: number;
  /** Calls the endpoint received, retries included, and how many it refused with RequestLimitExceeded. */
  endpointCalls: number;
  describeImageAttributeCalls: number;
  throttledResponses: number;
  /** Errors the user was shown (summary.errors, and stderr's message): throttling ones and all. */
  throttlingErrorsSurfaced: number;
  errorsSurfaced: number;
  peakMiB: number;
  stderrTail: string;
}

export interface AuditSize {
  images: number;
  samples: AuditSample[];
  median: {
    wallMs: number;
    idealMs: number;
    ratio: number;
    firstCallMs: number;
    apiPhaseRatio: number;
    endpointCalls: number;
    throttled: number;
    peakMiB: number;
  };
  throttlingErrorsSurfaced: number;
  incompleteRuns: number;
}

export interface AuditResult {
  timeScale: number;
  latencyMs: number;
  bucket: { burst: number; perSecond: number };
  sizes: AuditSize[];
}

/** The ideal time: DescribeImageAttribute (one per owned image) drains its bucket, then waits for refills. */
export function idealMs(calls: number, bucket: { burst: number; perSecond: number }): number {
  return (Math.max(0, calls - bucket.burst) / bucket.perSecond) * 1000;
}

/**
 * The launchers the audit reads that the bench's account does not use (EC2 Fleet, Spot Fleet, Auto Scaling
 * groups): answered empty, so that every audit run is complete. The world's own answers win where it has them.
 */
const NO_LAUNCHERS: Record<string, Ec2Handler> = {
  DescribeFleets: () => ec2Response("DescribeFleets", { fleetSet: [] }),
  DescribeSpotFleetRequests: () =>
    ec2Response("DescribeSpotFleetRequests", { spotFleetRequestConfigSet: [] }),
  DescribeAutoScalingGroups: () =>
    queryResponse(
      "DescribeAutoScalingGroups",
      { AutoScalingGroups: [] },
      "http://autoscaling.amazonaws.com/doc/2011-01-01/",
    ),
};

const THROTTLING = /RequestLimitExceeded|Throttl|TooManyRequests|Rate exceeded|SlowDown/i;

async function auditOnce(images: number, scale: number): Promise<AuditSample> {
  const stats: WorldStats = { describeImagesIds: 0, throttledByAction: {} };
  const bucket = { burst: EC2_NON_MUTATING.burst, perSecond: EC2_NON_MUTATING.perSecond * scale };
  const now = Date.now();
  const server = await startEc2Server({
    handlers: timed(
      throttled({ ...NO_LAUNCHERS, ...auditHandlers(images, now, stats) }, AUDIT_EC2_ACTIONS, bucket, stats),
      stats,
    ),
    routes: AUDIT_ROUTES,
    latencyMs: Math.max(1, Math.round(EC2_LATENCY_MS / scale)),
  });
  try {
    const env = loopbackAwsEnv({ all: server.url });
    const t0 = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [CLI, "audit", "--region", "us-east-1", "--format", "json", "--now", new Date(now).toISOString()],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let peakMiB = 0;
    const poll = setInterval(() => {
      try {
        peakMiB = Math.max(peakMiB, memoryOf(child.pid!).peakMiB);
      } catch {
        // exited between two polls
      }
    }, 100);
    // Bounded: an audit that hangs is killed (at 10 times its ideal time, at least two minutes).
    const limitMs = Math.max(120_000, 10 * idealMs(images, bucket));
    const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    const exitCode = await new Promise<number | null>((resolve) =>
      child.on("close", (code) => resolve(code)),
    );
    const wallMs = since(t0);
    clearInterval(poll);
    clearTimeout(killer);

    let summary: {
      complete?: boolean;
      imagesScanned?: number;
      findings?: number;
      apiCalls?: Record<string, number>;
      errors?: { step: string; cause: string }[];
    } = {};
    try {
      summary = (JSON.parse(stdout) as { summary: typeof summary }).summary ?? {};
    } catch {
      // no JSON: the stderr tail says why
    }
    const errors = summary.errors ?? [];
    const stderrLines = stderr.trim().split("\n").filter(Boolean);
    const userMessage = stderrLines.filter((l) => l.startsWith("ami-guard:"));
    const throttlingErrorsSurfaced =
      errors.filter((e) => THROTTLING.test(`${e.step} ${e.cause}`)).length +
      (errors.length === 0 ? userMessage.filter((l) => THROTTLING.test(l)).length : 0);
    const attrCalls = summary.apiCalls?.DescribeImageAttribute ?? images;
    const at = (t: bigint | undefined) => (t === undefined ? Number.NaN : Number(t - t0) / 1e6);
    return {
      images,
      wallMs,
      firstCallMs: at(stats.firstCallAt),
      apiPhaseMs: at(stats.lastCallAt) - at(stats.firstCallAt),
      idealMs: idealMs(attrCalls, bucket),
      exitCode,
      complete: summary.complete === true,
      imagesScanned: summary.imagesScanned ?? 0,
      findings: summary.findings ?? 0,
      auditApiCalls: Object.values(summary.apiCalls ?? {}).reduce((a, b) => a + b, 0),
      endpointCalls: server.calls.total ?? 0,
      describeImageAttributeCalls: server.calls.DescribeImageAttribute ?? 0,
      throttledResponses: Object.values(stats.throttledByAction).reduce((a, b) => a + b, 0),
      throttlingErrorsSurfaced,
      errorsSurfaced: errors.length + (errors.length === 0 ? userMessage.length : 0),
      peakMiB,
      stderrTail: stderrLines.slice(-3).join("\n"),
    };
  } finally {
    await server.close();
  }
}

export async function benchAudit(sizes: number[], runs: number, scale: number): Promise<AuditResult> {
  const bucket = { burst: EC2_NON_MUTATING.burst, perSecond: EC2_NON_MUTATING.perSecond * scale };
  const out: AuditSize[] = [];
  for (const images of sizes) {
    const samples: AuditSample[] = [];
    for (let run = 0; run < runs; run++) {
      const s = await auditOnce(images, scale);
      samples.push(s);
      log(
        `  audit ${images} AMIs run ${run + 1}/${runs}: ${(s.wallMs / 1000).toFixed(1)} s (ideal ${(s.idealMs / 1000).toFixed(1)} s), ` +
          `exit ${s.exitCode}, ${s.endpointCalls} calls, ${s.throttledResponses} throttled, ` +
          `${s.throttlingErrorsSurfaced} throttling errors shown${s.complete ? "" : `, INCOMPLETE: ${s.stderrTail}`}`,
      );
    }
    const wall = median(samples.map((s) => s.wallMs));
    const ideal = median(samples.map((s) => s.idealMs));
    out.push({
      images,
      samples,
      median: {
        wallMs: wall,
        idealMs: ideal,
        ratio: median(samples.map((s) => s.wallMs / s.idealMs)),
        firstCallMs: median(samples.map((s) => s.firstCallMs)),
        apiPhaseRatio: median(samples.map((s) => s.apiPhaseMs / s.idealMs)),
        endpointCalls: median(samples.map((s) => s.endpointCalls)),
        throttled: median(samples.map((s) => s.throttledResponses)),
        peakMiB: median(samples.map((s) => s.peakMiB)),
      },
      throttlingErrorsSurfaced: samples.reduce((n, s) => n + s.throttlingErrorsSurfaced, 0),
      incompleteRuns: samples.filter((s) => !s.complete).length,
    });
  }
  return { timeScale: scale, latencyMs: Math.max(1, Math.round(EC2_LATENCY_MS / scale)), bucket, sizes: out };
}
