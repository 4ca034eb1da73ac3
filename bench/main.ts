/**
 * `npm run bench`: runs the four benchmarks against the compiled project, prints a summary, and writes
 * bench/RESULTS.md (plus the raw samples in bench/tmp/results.json) and the figures in docs/performance.md.
 *
 *   node bench/run.js [--only startup,per-resource,audit,preview] [--runs 5] [--audit-runs 3]
 *                     [--sizes 1000,5000,10000] [--time-scale 10] [--no-calibrate] [--latency 50]
 *                     [--program-ms 1000] [--stack prod] [--no-write]
 *   node bench/run.js --from-json bench/tmp/results.json   (writes the reports again from a run's samples)
 *
 * The per-resource part runs twice: with EC2 answering at once (issue 12's targets 2 and 3) and at --latency
 * (--latency 0: only at once).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { benchAudit, type AuditResult } from "./audit-scaling";
import { BENCH, ROOT, TMP, log, missingPrerequisites } from "./lib/common";
import { machineFacts, type MachineFacts } from "./lib/machine";
import {
  renderPerformanceSection,
  renderResults,
  updatePerformanceDoc,
  type BenchResults,
} from "./lib/report";
import { benchPerResource } from "./per-resource";
import { benchPreview } from "./preview";
import { benchStartup } from "./startup";

const ALL = ["startup", "per-resource", "audit", "preview"] as const;
type Part = (typeof ALL)[number];

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number ≥ 1, not ${JSON.stringify(v)}`);
  return n;
}

/** Writes a run's reports: a full run's to bench/RESULTS.md and docs/performance.md, a partial one's to bench/tmp. */
async function writeReports(results: BenchResults, md: string): Promise<void> {
  fs.mkdirSync(TMP, { recursive: true });
  if (ALL.every((p) => results.parts.includes(p))) {
    fs.writeFileSync(path.join(BENCH, "RESULTS.md"), md);
    await updatePerformanceDoc(path.join(ROOT, "docs", "performance.md"), results);
    log("wrote bench/RESULTS.md and the figures in docs/performance.md");
  } else {
    // A partial run never replaces the full results.
    fs.writeFileSync(path.join(TMP, "RESULTS.md"), md);
    log("partial run: wrote bench/tmp/RESULTS.md (bench/RESULTS.md is left as it was)");
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      runs: { type: "string" },
      "audit-runs": { type: "string" },
      sizes: { type: "string" },
      "time-scale": { type: "string" },
      "no-calibrate": { type: "boolean" },
      latency: { type: "string" },
      "program-ms": { type: "string" },
      stack: { type: "string" },
      "no-write": { type: "boolean" },
      "from-json": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${fs.readFileSync(__filename, "utf8").split("*/")[0]}*/\n`);
    return 0;
  }
  const parts = (values.only ? values.only.split(",").map((s) => s.trim()) : [...ALL]) as Part[];
  for (const p of parts)
    if (!ALL.includes(p)) throw new Error(`--only: unknown part ${p} (${ALL.join(", ")})`);
  const runs = positiveInt("runs", values.runs, 5);
  const auditRuns = positiveInt("audit-runs", values["audit-runs"], 3);
  const scale = positiveInt("time-scale", values["time-scale"], 10);
  const latency = values.latency === "0" ? 0 : positiveInt("latency", values.latency, 50);
  const programMs = values["program-ms"] === "0" ? 0 : positiveInt("program-ms", values["program-ms"], 1000);
  const sizes = (values.sizes ?? "1000,5000,10000").split(",").map((s) => positiveInt("sizes", s.trim(), 1));
  const stack = values.stack ?? "prod";

  if (values["from-json"]) {
    const saved = JSON.parse(fs.readFileSync(values["from-json"], "utf8")) as BenchResults;
    process.stdout.write(`${renderPerformanceSection(saved)}\n`);
    if (!values["no-write"]) await writeReports(saved, await renderResults(saved));
    return 0;
  }

  const missing = missingPrerequisites();
  if (missing.length > 0) {
    for (const m of missing) log(`bench: ${m}`);
    return 2;
  }

  const started = new Date();
  const machine: MachineFacts = machineFacts();
  const results: BenchResults = { started: started.toISOString(), machine, parts, finished: "" };
  const t0 = Date.now();
  if (parts.includes("startup")) {
    log(`1. pack start-up and memory (${runs} runs each, 1 warm-up)`);
    results.startup = await benchStartup(runs, 1);
  }
  if (parts.includes("per-resource")) {
    log(`2a. per-resource cost (${runs} runs each, EC2 answering at once, program pause ${programMs} ms)`);
    results.perResourceAtOnce = await benchPerResource(runs, 0, programMs);
    if (latency > 0) {
      log(
        `2b. per-resource cost (${runs} runs each, EC2 latency ${latency} ms, program pause ${programMs} ms)`,
      );
      results.perResource = await benchPerResource(runs, latency, programMs);
    }
  }
  if (parts.includes("audit")) {
    log(`3. audit scaling (${auditRuns} runs per size, time scale ${scale})`);
    results.audit = await benchAudit(sizes, auditRuns, scale);
    if (!values["no-calibrate"] && scale !== 1) {
      log("3b. audit at EC2's real rates, 1,000 AMIs, once (checks the scaled ratio is an upper bound)");
      const cal: AuditResult = await benchAudit([1000], 1, 1);
      results.auditCalibration = cal;
    }
  }
  if (parts.includes("preview")) {
    log(`4. offline preview of stack ${stack} (${runs} runs)`);
    results.preview = await benchPreview(stack, runs);
  }
  results.finished = new Date().toISOString();
  results.durationS = (Date.now() - t0) / 1000;
  results.loadAverageEnd = machineFacts().loadAverage;

  const md = await renderResults(results);
  process.stdout.write(`${renderPerformanceSection(results)}\n`);
  if (!values["no-write"]) {
    fs.mkdirSync(TMP, { recursive: true });
    fs.writeFileSync(path.join(TMP, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    log("wrote the samples to bench/tmp/results.json");
    await writeReports(results, md);
  }
  // The figures are only worth writing when the work measured was right: our pack's verdicts matched the
  // fixtures, and every audit completed. A missed target is a finding, not a failure of the bench.
  const broken: string[] = [];
  for (const p of [results.perResourceAtOnce, results.perResource])
    if (p && p.problems.length > 0)
      broken.push(`our pack's verdicts did not match the fixtures (${p.problems[0]})`);
  for (const a of [results.audit, results.auditCalibration])
    for (const z of a?.sizes ?? [])
      if (z.incompleteRuns > 0)
        broken.push(`${z.incompleteRuns} audit run(s) of ${z.images} AMIs were incomplete`);
  for (const b of broken) log(`bench: ${b}`);
  return broken.length > 0 ? 1 : 0;
}
