/**
 * Benchmark 4: the offline preview. The wall time of the compiled CLI, `ami-guard preview --stack <stack> --json`
 * (process start to exit), and its phases from the compiled runPreview run in a fresh process
 * (bench/preview-phases.js): module load, the program under mocks and the pack start (which run in parallel,
 * both counted from the preview's start), and the analysis (GetAnalyzerInfo, Configure, ConfigureStack, an
 * Analyze per resource, AnalyzeStack). Runs alternate between the two so both see the same machine.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { BENCH, CLI, ROOT, log, median, offlineEnv, since } from "./lib/common";

export interface PhaseSample {
  loadMs: number;
  programMs: number;
  packStartMs: number;
  analyzeMs: number;
  totalMs: number;
  resources: number;
  diagnostics: number;
}

export interface PreviewResult {
  stack: string;
  runs: number;
  cliWallMs: number[];
  cliExitCodes: (number | null)[];
  resources: number;
  diagnostics: number;
  phases: PhaseSample[];
  median: {
    cliWallMs: number;
    loadMs: number;
    programMs: number;
    packStartMs: number;
    analyzeMs: number;
    totalMs: number;
    analyzePerResourceMs: number;
  };
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: offlineEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: since(t0) });
    });
  });
}

export async function benchPreview(stack: string, runs: number): Promise<PreviewResult> {
  const cliWallMs: number[] = [];
  const cliExitCodes: (number | null)[] = [];
  const phases: PhaseSample[] = [];
  let resources = 0;
  let diagnostics = 0;
  for (let i = 0; i < runs; i++) {
    const cli = await run([CLI, "preview", "--stack", stack, "--json"]);
    if (cli.code !== 0 && cli.code !== 1) {
      throw new Error(
        `ami-guard preview --stack ${stack} exited ${cli.code}: ${cli.stderr.trim().split("\n").pop()}`,
      );
    }
    const doc = JSON.parse(cli.stdout) as { resources: unknown[]; diagnostics: unknown[] };
    resources = doc.resources.length;
    diagnostics = doc.diagnostics.length;
    cliWallMs.push(cli.ms);
    cliExitCodes.push(cli.code);

    const p = await run([path.join(BENCH, "preview-phases.js"), stack]);
    if (p.code !== 0)
      throw new Error(`bench/preview-phases.js ${stack} exited ${p.code}: ${p.stderr.trim()}`);
    const sample = JSON.parse(p.stdout) as PhaseSample;
    phases.push(sample);
    log(
      `  preview run ${i + 1}/${runs}: CLI ${cli.ms.toFixed(0)} ms (exit ${cli.code}); program ${sample.programMs} ms ‖ ` +
        `pack start ${sample.packStartMs} ms, analysis ${sample.analyzeMs} ms`,
    );
  }
  const m = (k: keyof PhaseSample) => median(phases.map((p) => p[k]));
  return {
    stack,
    runs,
    cliWallMs,
    cliExitCodes,
    resources,
    diagnostics,
    phases,
    median: {
      cliWallMs: median(cliWallMs),
      loadMs: m("loadMs"),
      programMs: m("programMs"),
      packStartMs: m("packStartMs"),
      analyzeMs: m("analyzeMs"),
      totalMs: m("totalMs"),
      analyzePerResourceMs: median(phases.map((p) => p.analyzeMs / Math.max(1, p.resources))),
    },
  };
}
