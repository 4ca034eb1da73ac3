/**
 * Benchmark 1: pack start-up and memory. Each pack is started exactly as the engine starts it (`node
 * <@pulumi/pulumi>/cmd/run-policy-pack <engine> .` in the pack directory, through the project's compiled
 * analyzer client) and timed until GetAnalyzerInfo answers; then the pack process's resident memory is read from
 * /proc/<pid>/status. Runs alternate between the two packs (ABAB, the order flipped every run) so that load from
 * elsewhere on the machine falls on both alike. A third pack, bench/floor-pack (one policy that does nothing),
 * measures the floor that the engine's harness (run-policy-pack, which loads TypeScript and ts-node for every
 * pack) and @pulumi/policy cost before any policy code loads.
 */
import * as path from "node:path";
import type { PolicyPackProcess } from "../src/analyzer";
import type { AnalyzerInfo } from "../src/analyzer/types";
import {
  ANCHOR_DIR,
  BENCH,
  PACK_DIR,
  analyzer,
  log,
  median,
  memoryOf,
  offlineEnv,
  since,
} from "./lib/common";

export interface StartSample {
  /** Spawn → port on stdout. */
  portMs: number;
  /** Spawn → GetAnalyzerInfo answered. */
  readyMs: number;
  rssMiB: number;
  peakMiB: number;
  policies: number;
}

export interface PackSide {
  label: string;
  dir: string;
  samples: StartSample[];
}

export interface StartupResult {
  runs: number;
  warmups: number;
  ours: PackSide;
  anchor: PackSide;
  floor: PackSide;
  medians: Record<
    "ours" | "anchor" | "floor",
    { readyMs: number; portMs: number; rssMiB: number; peakMiB: number }
  >;
  ratios: { time: number; rss: number; peak: number };
  oursInfo: { name: string; version: string; policies: number };
  anchorInfo: { name: string; version: string; policies: number };
}

/** Starts a pack and waits for GetAnalyzerInfo; returns the running pack, its info and the sample. */
export async function startTimed(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ pack: PolicyPackProcess; info: AnalyzerInfo; sample: StartSample }> {
  const { startPolicyPack } = analyzer();
  const t0 = process.hrtime.bigint();
  const pack = await startPolicyPack({ dir, env, startTimeoutMs: 120_000, callTimeoutMs: 120_000 });
  const portMs = since(t0);
  try {
    const info = await pack.getAnalyzerInfo();
    const readyMs = since(t0);
    const mem = memoryOf(pack.child.pid!);
    return { pack, info, sample: { portMs, readyMs, ...mem, policies: info.policies.length } };
  } catch (e) {
    await pack.close();
    throw e;
  }
}

function side(label: string, dir: string): PackSide {
  return { label, dir, samples: [] };
}

function medians(s: PackSide) {
  return {
    readyMs: median(s.samples.map((x) => x.readyMs)),
    portMs: median(s.samples.map((x) => x.portMs)),
    rssMiB: median(s.samples.map((x) => x.rssMiB)),
    peakMiB: median(s.samples.map((x) => x.peakMiB)),
  };
}

export async function benchStartup(runs: number, warmups = 1): Promise<StartupResult> {
  const ours = side("ami-guard (policy-pack/)", PACK_DIR);
  const anchor = side("@pulumi/awsguard (bench/anchor-pack/)", ANCHOR_DIR);
  const floor = side("floor (bench/floor-pack/)", path.join(BENCH, "floor-pack"));
  let oursInfo = { name: "", version: "", policies: 0 };
  let anchorInfo = { name: "", version: "", policies: 0 };
  for (let i = 0; i < warmups + runs; i++) {
    const order = i % 2 === 0 ? [ours, anchor, floor] : [floor, anchor, ours];
    for (const s of order) {
      const { pack, info, sample } = await startTimed(s.dir, offlineEnv());
      await pack.close();
      const summary = { name: info.name, version: info.version, policies: info.policies.length };
      if (s === ours) oursInfo = summary;
      else if (s === anchor) anchorInfo = summary;
      const tag = i < warmups ? "warm-up" : `run ${i - warmups + 1}/${runs}`;
      log(
        `  start-up ${tag} ${info.name}: ready ${sample.readyMs.toFixed(0)} ms, RSS ${sample.rssMiB.toFixed(1)} MiB`,
      );
      if (i >= warmups) s.samples.push(sample);
    }
  }
  const m = { ours: medians(ours), anchor: medians(anchor), floor: medians(floor) };
  return {
    runs,
    warmups,
    ours,
    anchor,
    floor,
    medians: m,
    ratios: {
      time: m.ours.readyMs / m.anchor.readyMs,
      rss: m.ours.rssMiB / m.anchor.rssMiB,
      peak: m.ours.peakMiB / m.anchor.peakMiB,
    },
    oursInfo,
    anchorInfo,
  };
}
