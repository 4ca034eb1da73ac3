/** Turns a benchmark run into bench/RESULTS.md and the figures of docs/performance.md. */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { AuditResult } from "../audit-scaling";
import { DISTINCT_AMIS, RESOURCES, type PerResourceResult } from "../per-resource";
import type { PreviewResult } from "../preview";
import type { StartupResult } from "../startup";
import { ROOT, fmt, max, median, min } from "./common";
import type { MachineFacts } from "./machine";

export interface BenchResults {
  started: string;
  finished: string;
  durationS?: number;
  machine: MachineFacts;
  loadAverageEnd?: number[];
  parts: string[];
  startup?: StartupResult;
  /** Per resource with EC2 answering at once (issue 12's targets 2 and 3). */
  perResourceAtOnce?: PerResourceResult;
  /** Per resource with EC2 answering after --latency. */
  perResource?: PerResourceResult;
  audit?: AuditResult;
  auditCalibration?: AuditResult;
  preview?: PreviewResult;
}

export const DOC_START = "<!-- bench:figures:start (written by npm run bench; do not edit by hand) -->";
export const DOC_END = "<!-- bench:figures:end -->";

const ms = (x: number) => `${fmt(x)} ms`;
const mib = (x: number) => `${fmt(x, 1)} MiB`;
const sec = (x: number) => `${fmt(x / 1000, 1)} s`;
const times = (x: number) => `${fmt(x, 2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
const range = (xs: number[], f: (x: number) => string) => `${f(min(xs))} – ${f(max(xs))}`;

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/**
 * A pack's CPU time per resource from its runs (medians): over the resources after the first sightings, and
 * over all of them (the first sightings' CPU plus the rest's).
 */
export function cpuPerResource(xs: PerResourceResult["ours"]): { rest: number; overall: number } {
  const rest = xs.map((x) => x.restCpuPerResourceMs);
  const overall = xs.map(
    (x) => (x.firstCpuMs + x.restCpuPerResourceMs * (RESOURCES - DISTINCT_AMIS)) / RESOURCES,
  );
  return { rest: median(rest), overall: median(overall) };
}

/** The headline rows: each target with our figure, the anchor's and whether it is met. */
function summaryRows(r: BenchResults): string[][] {
  const rows: string[][] = [];
  const s = r.startup;
  if (s) {
    const m = s.medians;
    rows.push([
      "Pack start-up, spawn → GetAnalyzerInfo answered (floor pack: " + ms(m.floor.readyMs) + ")",
      ms(m.ours.readyMs),
      ms(m.anchor.readyMs),
      times(s.ratios.time),
      "",
      "",
    ]);
    rows.push([
      "Pack resident memory (VmRSS) once started (floor pack: " + mib(m.floor.rssMiB) + ")",
      mib(m.ours.rssMiB),
      mib(m.anchor.rssMiB),
      times(s.ratios.rss),
      "",
      "",
    ]);
    const own = ownCost(s);
    rows.push([
      "1. Own start-up time above the floor pack",
      signed(own.oursMs, "ms"),
      signed(own.anchorMs, "ms"),
      pct(own.timeShare),
      "≤ 10%",
      verdict(own.timeShare <= 0.1),
    ]);
    rows.push([
      "1. Own resident memory above the floor pack",
      signed(own.oursMiB, "MiB", 1),
      signed(own.anchorMiB, "MiB", 1),
      pct(own.memShare),
      "≤ 10%",
      verdict(own.memShare <= 0.1),
    ]);
  }
  const n = r.perResourceAtOnce;
  if (n) {
    rows.push([
      "2. Per resource once each AMI is known (the 580 after the first sightings), EC2 answering at once",
      ms2(n.medians.ours.restPerResourceMs),
      ms2(n.medians.anchor.restPerResourceMs),
      times(n.restRatio),
      "≤ 1.0×",
      verdict(n.restRatio <= 1),
    ]);
    rows.push([
      "3. Per resource overall, first sightings included, 600 Analyze over 20 AMIs, EC2 answering at once",
      ms2(n.medians.ours.perResourceMs),
      ms2(n.medians.anchor.perResourceMs),
      times(n.ratio),
      "≤ 1.3×",
      verdict(n.ratio <= 1.3),
    ]);
    const ours = cpuPerResource(n.ours);
    const anchor = cpuPerResource(n.anchor);
    if (Number.isFinite(ours.rest) && Number.isFinite(anchor.rest)) {
      rows.push([
        "2. the same, the pack process's CPU time per resource (utime + stime)",
        ms2(ours.rest),
        ms2(anchor.rest),
        times(ours.rest / anchor.rest),
        "",
        "",
      ]);
      const mainOurs = n.medians.ours.restMainCpuPerResourceMs;
      const mainAnchor = n.medians.anchor.restMainCpuPerResourceMs;
      if (Number.isFinite(mainOurs) && Number.isFinite(mainAnchor))
        rows.push([
          "2. the same, the pack's main thread alone (the rest is its other threads: V8's compiler and garbage collector)",
          ms2(mainOurs),
          ms2(mainAnchor),
          times(mainOurs / mainAnchor),
          "",
          "",
        ]);
      rows.push([
        "3. the same, the pack process's CPU time per resource (utime + stime)",
        ms2(ours.overall),
        ms2(anchor.overall),
        times(ours.overall / anchor.overall),
        "",
        "",
      ]);
    }
  }
  const p = r.perResource;
  if (p) {
    rows.push([
      `Per resource overall, 600 Analyze over 20 AMIs, EC2 answering after ${p.latencyMs} ms`,
      ms2(p.medians.ours.perResourceMs),
      ms2(p.medians.anchor.perResourceMs),
      times(p.ratio),
      "",
      "",
    ]);
  }
  for (const q of [n, p]) {
    if (!q) continue;
    const l = q.lookups;
    rows.push([
      `4. Look-ups in a run (EC2 at ${q.latencyMs === 0 ? "once" : `${q.latencyMs} ms`}): DescribeImages calls / ids; DescribeImageAttribute; GetCallerIdentity`,
      `${l.describeImagesCalls} / ${l.describeImagesIds}; ${l.describeImageAttributeCalls}; ${l.getCallerIdentityCalls}`,
      "none (judges inputs only)",
      "",
      `≤ ${l.distinctAmis} / ${l.distinctAmis}; ≤ ${l.distinctAmis}; ≤ 1`,
      verdict(
        l.describeImagesCalls <= l.distinctAmis &&
          l.describeImagesIds <= l.distinctAmis &&
          l.describeImageAttributeCalls <= l.distinctAmis &&
          l.getCallerIdentityCalls <= 1 &&
          q.problems.length === 0,
      ),
    ]);
  }
  const a = r.audit;
  if (a) {
    for (const z of a.sizes) {
      rows.push([
        `Audit of ${fmt(z.images)} owned AMIs: wall time ÷ ideal (time scale ${a.timeScale})`,
        `${sec(z.median.wallMs)} ÷ ${sec(z.median.idealMs)}`,
        "",
        times(z.median.ratio),
        "",
        "",
      ]);
    }
    const surfaced = a.sizes.reduce((n, z) => n + z.throttlingErrorsSurfaced, 0);
    const incomplete = a.sizes.reduce((n, z) => n + z.incompleteRuns, 0);
    rows.push([
      "Throttling errors surfaced to the user, all audit runs",
      String(surfaced),
      "",
      "",
      "0",
      verdict(surfaced === 0 && incomplete === 0),
    ]);
  }
  const v = r.preview;
  if (v) {
    rows.push([
      `\`ami-guard preview --stack ${v.stack} --json\`, wall time`,
      ms(v.median.cliWallMs),
      "",
      "",
      "",
      "",
    ]);
  }
  return rows;
}

/** Each pack's own cost above the floor pack, and ours as a share of the anchor's (issue 12, target 1). */
function ownCost(s: StartupResult) {
  const m = s.medians;
  const oursMs = m.ours.readyMs - m.floor.readyMs;
  const anchorMs = m.anchor.readyMs - m.floor.readyMs;
  const oursMiB = m.ours.rssMiB - m.floor.rssMiB;
  const anchorMiB = m.anchor.rssMiB - m.floor.rssMiB;
  return {
    oursMs,
    anchorMs,
    oursMiB,
    anchorMiB,
    // Below the floor counts as nothing: the floor's own spread is larger than our pack's code.
    timeShare: Math.max(0, oursMs) / anchorMs,
    memShare: Math.max(0, oursMiB) / anchorMiB,
  };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${fmt(x * 100, 1)}%` : "n/a";
}

function signed(x: number, unit: string, digits = 0): string {
  return `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), digits)} ${unit}`;
}

function ms2(x: number): string {
  return `${fmt(x, 2)} ms`;
}

function startupSection(s: StartupResult): string {
  const row = (label: string, side: StartupResult["ours"], m: StartupResult["medians"]["ours"]) => [
    label,
    String(side.samples[0]?.policies ?? ""),
    ms(m.portMs),
    ms(m.readyMs),
    range(
      side.samples.map((x) => x.readyMs),
      ms,
    ),
    mib(m.rssMiB),
    mib(m.peakMiB),
  ];
  return [
    "## 1. Pack start-up and memory",
    "",
    `Each pack started as the engine starts it (\`node <@pulumi/pulumi>/cmd/run-policy-pack <engine> .\` in the pack directory), timed until \`GetAnalyzerInfo\` answered; memory read from \`/proc/<pid>/status\` of the pack process right then. ${s.runs} runs each after ${s.warmups} warm-up, the packs alternating.`,
    "",
    table(
      ["pack", "policies", "port printed", "GetAnalyzerInfo answered", "range", "VmRSS", "VmHWM"],
      [
        row(`ours: ${s.oursInfo.name} ${s.oursInfo.version}`, s.ours, s.medians.ours),
        row(`anchor: ${s.anchorInfo.name} ${s.anchorInfo.version}`, s.anchor, s.medians.anchor),
        row("floor: harness + @pulumi/policy + one no-op policy", s.floor, s.medians.floor),
      ],
    ),
    "",
    `Ours ÷ anchor: time ${times(s.ratios.time)}, resident memory ${times(s.ratios.rss)}, peak ${times(s.ratios.peak)}. ` +
      `Above the floor (what each pack's own code costs): ours ${signed(s.medians.ours.readyMs - s.medians.floor.readyMs, "ms")} and ${signed(s.medians.ours.rssMiB - s.medians.floor.rssMiB, "MiB", 1)}, ` +
      `the anchor ${signed(s.medians.anchor.readyMs - s.medians.floor.readyMs, "ms")} and ${signed(s.medians.anchor.rssMiB - s.medians.floor.rssMiB, "MiB", 1)}.`,
    "",
    "The floor is what every Node.js pack pays before its first policy loads: the engine's `run-policy-pack` " +
      "harness registers ts-node (loading the TypeScript compiler) for every pack, then loads `@pulumi/pulumi` " +
      "and `@pulumi/policy` with gRPC. Ours loads neither `@pulumi/aws` nor the AWS SDK at start (the SDK loads " +
      "after `ConfigureStack`, while the engine runs the program); the anchor loads `@pulumi/aws` for its typed " +
      "validators.",
  ].join("\n");
}

function perResourceSection(n: PerResourceResult | undefined, p: PerResourceResult | undefined): string {
  const row = (label: string, xs: PerResourceResult["ours"]) => [
    label,
    ms2(median(xs.map((x) => x.perResourceMs))),
    range(
      xs.map((x) => x.perResourceMs),
      ms2,
    ),
    ms(median(xs.map((x) => x.firstResourceMs))),
    ms(median(xs.map((x) => x.firstMs))),
    ms2(median(xs.map((x) => x.restPerResourceMs))),
    ms(median(xs.map((x) => x.configureMs))),
    fmt(median(xs.map((x) => x.resourcesFlagged))),
    mib(median(xs.map((x) => x.peakMiB))),
    ms(median(xs.map((x) => x.pauseCpuMs))),
    ms(median(xs.map((x) => x.firstCpuMs))),
    ms2(median(xs.map((x) => x.restCpuPerResourceMs))),
    ms2(median(xs.map((x) => x.restMainCpuPerResourceMs))),
  ];
  const one = (q: PerResourceResult) => [
    `### EC2 answering ${q.latencyMs === 0 ? "at once" : `after ${q.latencyMs} ms`}`,
    "",
    table(
      [
        "pack",
        "per resource",
        "range",
        "first resource",
        "first 20 resources (each a new AMI)",
        "per resource after them",
        "Configure + ConfigureStack",
        "resources flagged",
        "VmHWM after",
        "pack CPU in the pause",
        "pack CPU, first 20",
        "pack CPU per resource after them",
        "main thread's CPU per resource after them",
      ],
      [
        row("ours", q.ours),
        row("anchor", q.anchor),
        row("floor: harness + @pulumi/policy + one no-op policy", q.floor),
      ],
    ),
    "",
    `Ours ÷ anchor per resource: ${times(q.ratio)}; on the 580 resources after the first sighting of each AMI: ${times(q.restRatio)}. ` +
      `Above the floor pack on those 580 (each pack's own cost per resource): ours ${ms2(q.medians.ours.restPerResourceMs - q.medians.floor.restPerResourceMs)}, the anchor ${ms2(q.medians.anchor.restPerResourceMs - q.medians.floor.restPerResourceMs)}.`,
    "",
    `EC2 and STS calls by our pack in a run: ${q.lookups.describeImagesCalls} DescribeImages asking ${q.lookups.describeImagesIds} image ids, ${q.lookups.describeImageAttributeCalls} DescribeImageAttribute (launch permissions, for the sharing policy) and ${q.lookups.getCallerIdentityCalls} GetCallerIdentity — for ${q.lookups.distinctAmis} distinct AMIs (${q.lookups.ownedAmis} owned by the caller's account) and 600 resources.`,
    "",
    q.problems.length === 0
      ? "Our verdicts were checked on every run: exactly the 120 resources on the four bad AMIs (stale, unencrypted, untrusted owner, missing tag) were flagged, each by the policy its AMI breaks."
      : `**Our verdicts did not match the fixtures:**\n\n${q.problems.map((x) => `- ${x}`).join("\n")}`,
  ];
  const first = n ?? p!;
  return [
    "## 2. Per-resource cost",
    "",
    `600 \`aws:ec2/instance:Instance\` resources over 20 distinct AMIs, sent one \`Analyze\` at a time with their default AWS provider (region us-east-1), after \`GetAnalyzerInfo\`, \`Configure\`, \`ConfigureStack\` and a pause of ${fmt(first.programMs)} ms standing for the engine running the program (the engine configures a pack before it runs the program, and sends the first \`Analyze\` when the program registers its first resource); timed from the first \`Analyze\` sent to the 600th answered. Ours looks AMIs up in a loopback EC2 endpoint (and asks a loopback STS for the caller's account when EC2 refuses launch permissions); the anchor and the floor pack judge the resource's inputs only. ${first.runs} runs each, alternating.`,
    "",
    ...(n ? [...one(n), ""] : []),
    ...(p ? [...one(p), ""] : []),
    "The first 20 resources carry the one-off costs: each new AMI's DescribeImages, with its DescribeImageAttribute asked alongside (one round trip, not two), and what is left of the SDK client's first call. The SDK itself loads once the engine has sent `ConfigureStack`, during the pause that stands for the program, and its first calls are warmed there, in-process with canned answers (our pack's CPU in the pause); when the machine is too busy for that to finish within the pause, the rest falls on the first resources.",
  ].join("\n");
}

function auditSection(a: AuditResult, cal?: AuditResult): string {
  const rows = a.sizes.map((z) => [
    fmt(z.images),
    sec(z.median.wallMs),
    sec(z.median.idealMs),
    times(z.median.ratio),
    range(
      z.samples.map((x) => x.wallMs / x.idealMs),
      times,
    ),
    ms(z.median.firstCallMs),
    times(z.median.apiPhaseRatio),
    fmt(median(z.samples.map((x) => x.auditApiCalls))),
    fmt(z.median.endpointCalls),
    fmt(z.median.throttled),
    String(z.throttlingErrorsSurfaced),
    `${z.samples.length - z.incompleteRuns}/${z.samples.length}`,
    mib(z.median.peakMiB),
  ]);
  const calRow = cal?.sizes[0];
  return [
    "## 3. Audit scaling",
    "",
    `\`ami-guard audit --region us-east-1 --format json\` (compiled CLI, default concurrency and retries) against a loopback endpoint serving an account that owns N AMIs (plus instances, launch templates and 20 foreign AMIs in use). Each EC2 API has its own token bucket, as EC2 throttles per API: ${a.bucket.burst} tokens, refilled at ${fmt(a.bucket.perSecond / a.timeScale)}/s (EC2's bucket for a non-mutating action), with time scaled ${a.timeScale}× (refill ${fmt(a.bucket.perSecond)}/s, ${a.latencyMs} ms per answer instead of 50 ms) so that 10,000 AMIs fit in a benchmark run. The ideal is the time the bucket of DescribeImageAttribute (one call per owned image; there is no batch form) allows: (calls − ${a.bucket.burst}) ÷ refill rate.`,
    "",
    table(
      [
        "owned AMIs",
        "wall time",
        "ideal",
        "ratio",
        "range",
        "start → first call",
        "first → last call ÷ ideal",
        "API calls (audit's count)",
        "calls at the endpoint (retries included)",
        "throttled (503)",
        "throttling errors shown",
        "complete runs",
        "peak RSS",
      ],
      rows,
    ),
    "",
    calRow
      ? `At EC2's real rate (time scale 1, 1,000 AMIs, one run): ${sec(calRow.median.wallMs)} against an ideal of ${sec(calRow.median.idealMs)}, ratio ${times(calRow.median.ratio)}, ${fmt(calRow.median.throttled)} throttled answers, ${calRow.throttlingErrorsSurfaced} throttling errors shown. The SDK's own waits (retry back-off, the adaptive rate limiter's recovery) are not scaled, so throttling costs ${a.timeScale}× more at time scale ${a.timeScale} than on EC2: the scaled ratios above are upper bounds, and the fixed cost (process start, SDK load) weighs most on the smallest account.`
      : `The SDK's own waits (retry back-off, the adaptive rate limiter's recovery) are not scaled, so throttling costs ${a.timeScale}× more here than on EC2: the ratios are upper bounds.`,
  ].join("\n");
}

/** The preview's phases as bench/preview-phases.js times them: row label and field. */
const PREVIEW_PHASES = [
  ["module load (process start → preview loaded)", "loadMs"],
  ["program under mocks (in parallel with the pack start)", "programMs"],
  ["pack start, to its port", "packStartMs"],
  ["analysis (GetAnalyzerInfo, Configure, ConfigureStack, Analyze × resources, AnalyzeStack)", "analyzeMs"],
  ["runPreview total", "totalMs"],
] as const;

function previewSection(v: PreviewResult): string {
  const m = v.median;
  return [
    "## 4. Offline preview",
    "",
    `\`node dist/src/cli/ami-guard.js preview --stack ${v.stack} --json\`: ${v.resources} resources, ${v.diagnostics} diagnostic(s), exit ${v.cliExitCodes[0]}. Wall time from process start to exit; the phases from the compiled \`runPreview\` in a fresh process (\`bench/preview-phases.js\`). The program run and the pack start run in parallel and are both counted from the preview's start. ${v.runs} runs.`,
    "",
    table(
      ["phase", "median", "range"],
      [
        ["CLI wall time", ms(m.cliWallMs), range(v.cliWallMs, ms)],
        ...PREVIEW_PHASES.map(([label, key]) => [
          label,
          ms(m[key]),
          range(
            v.phases.map((p) => p[key]),
            ms,
          ),
        ]),
      ],
    ),
    "",
    `Analysis per planned resource (components included): ${ms2(m.analyzePerResourceMs)}. The critical path is the slower of the program and the pack start, then the analysis.`,
  ].join("\n");
}

function machineSection(r: BenchResults): string {
  const m = r.machine;
  return [
    "## Machine and versions",
    "",
    table(
      ["", ""],
      [
        ["date", `${r.started} → ${r.finished}${r.durationS ? ` (${fmt(r.durationS)} s)` : ""}`],
        ["CPU", `${m.cpuModel}, ${m.cpus} CPUs`],
        ["memory", `${m.memoryGiB} GiB`],
        ["OS", m.os],
        ["Node.js / npm", `${m.node} / ${m.npm}`],
        [
          "load average (1, 5, 15 min) at start / end",
          `${m.loadAverage.join(", ")} / ${(r.loadAverageEnd ?? []).join(", ")}`,
        ],
        ["commit", m.commit],
        ...Object.entries(m.versions),
      ],
    ),
    "",
    "Other work on the machine (a load average above the CPU count) slows every figure; the ratios compare runs interleaved in the same session, so they hold up better than the absolute times.",
  ].join("\n");
}

async function prettier(text: string): Promise<string> {
  const load = createRequire(path.join(ROOT, "package.json"));
  const p = load("prettier") as { format(src: string, opts: Record<string, unknown>): Promise<string> };
  return p.format(text, { parser: "markdown", printWidth: 110 });
}

/** bench/RESULTS.md. */
export async function renderResults(r: BenchResults): Promise<string> {
  const parts = [
    "# AMI Guard benchmark results",
    "",
    `Written by \`npm run bench\` (bench/run.js) on ${r.started.slice(0, 10)}; medians of several runs, ratios measured in the same run. Our pack is \`policy-pack/\` (compiled \`bin/\`); the anchor is \`@pulumi/awsguard\` with every policy mandatory (\`bench/anchor-pack/\`). How to run and what each figure means: docs/performance.md.`,
    "",
    "## Summary",
    "",
    table(["measure", "ours", "anchor", "ratio", "target", ""], summaryRows(r)),
    "",
  ];
  if (r.startup) parts.push(startupSection(r.startup), "");
  if (r.perResourceAtOnce || r.perResource)
    parts.push(perResourceSection(r.perResourceAtOnce, r.perResource), "");
  if (r.audit)
    parts.push(auditSection(r.audit, r.auditCalibration?.sizes.length ? r.auditCalibration : undefined), "");
  if (r.preview) parts.push(previewSection(r.preview), "");
  parts.push(machineSection(r), "");
  return prettier(parts.join("\n"));
}

/** The short figures for docs/performance.md (and the console). */
export function renderPerformanceSection(r: BenchResults): string {
  const lines = [
    `Latest run: ${r.started.slice(0, 10)}, ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node.js ${r.machine.node}, load average ${r.machine.loadAverage[0]} at start. Full tables: bench/RESULTS.md.`,
    "",
    table(["measure", "ours", "anchor", "ratio", "target", ""], summaryRows(r)),
  ];
  if (r.preview) {
    const m = r.preview.median;
    lines.push(
      "",
      `Preview phases (median): program under mocks ${ms(m.programMs)} in parallel with the pack start ${ms(m.packStartMs)}, then analysis ${ms(m.analyzeMs)}; module load ${ms(m.loadMs)}.`,
    );
  }
  return lines.join("\n");
}

/** Replaces the figures between the markers of docs/performance.md. */
export async function updatePerformanceDoc(file: string, r: BenchResults): Promise<void> {
  const text = fs.readFileSync(file, "utf8");
  const a = text.indexOf(DOC_START);
  const b = text.indexOf(DOC_END);
  if (a < 0 || b < a) throw new Error(`${file} has no ${DOC_START} … ${DOC_END} markers`);
  const next = `${text.slice(0, a + DOC_START.length)}\n\n${renderPerformanceSection(r)}\n\n${text.slice(b)}`;
  fs.writeFileSync(file, await prettier(next));
}
