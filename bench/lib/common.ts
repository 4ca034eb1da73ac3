/**
 * What every benchmark shares: where things are, the compiled project (loaded from `npm run build` output, never
 * from source), statistics, the memory of a process, and the AWS environment of a process that must only ever
 * talk to a loopback endpoint.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const BENCH = path.join(ROOT, "bench");
export const PACK_DIR = path.join(ROOT, "policy-pack");
export const ANCHOR_DIR = path.join(BENCH, "anchor-pack");
export const CLI = path.join(ROOT, "dist", "src", "cli", "ami-guard.js");
export const TMP = path.join(BENCH, "tmp");

const load = createRequire(__filename);

/** The compiled engine-protocol client (dist/src/analyzer), typed by its source. */
export function analyzer(): typeof import("../../src/analyzer") {
  return load(path.join(ROOT, "dist", "src", "analyzer", "index.js")) as typeof import("../../src/analyzer");
}

/** The compiled pack-config reader the preview uses (schema defaults applied, as the engine sends them). */
export function policyConfig(): typeof import("../../src/pack-config/parse") {
  return load(
    path.join(ROOT, "dist", "src", "pack-config", "parse.js"),
  ) as typeof import("../../src/pack-config/parse");
}

/** What must exist before the bench can run; each problem says how to fix it. */
export function missingPrerequisites(): string[] {
  const out: string[] = [];
  const need = (file: string, fix: string) => {
    if (!fs.existsSync(file)) out.push(`${path.relative(ROOT, file)} is missing: ${fix}`);
  };
  need(path.join(PACK_DIR, "bin", "index.js"), "run `npm run build`");
  need(CLI, "run `npm run build`");
  need(path.join(ROOT, "dist", "src", "analyzer", "index.js"), "run `npm run build`");
  need(
    path.join(BENCH, "node_modules", "@pulumi", "awsguard", "package.json"),
    "run `npm ci --prefix bench`",
  );
  return out;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function min(xs: readonly number[]): number {
  return xs.length ? Math.min(...xs) : Number.NaN;
}

export function max(xs: readonly number[]): number {
  return xs.length ? Math.max(...xs) : Number.NaN;
}

/** Milliseconds since `t0` (a process.hrtime.bigint() reading), as a float. */
export function since(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A process's resident memory now (VmRSS) and at its peak (VmHWM), in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+([0-9]+) kB`, "m").exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]);
  };
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/**
 * A process's CPU time so far (utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms), in milliseconds:
 * the pack's own work, whatever else the machine is doing.
 */
export function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

/**
 * The CPU time (ms) of `pid`'s main thread alone (/proc/<pid>/task/<pid>/stat): where JavaScript runs. The rest of
 * {@link cpuOf} is the process's other threads, V8's background compiler and garbage collector among them.
 */
export function mainThreadCpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

/**
 * An environment for a child that may call AWS only through `endpoint` (a loopback server): dummy
 * credentials, no shared config or credentials files, no instance metadata, and none of the caller's AWS_*.
 */
export function loopbackAwsEnv(
  endpoint: { all?: string; ec2?: string },
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  delete env.AMI_GUARD_INVENTORY;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: "AKIDBENCHLOOPBACK",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/ami-guard-bench-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/ami-guard-bench-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  if (endpoint.all) env.AWS_ENDPOINT_URL = endpoint.all;
  if (endpoint.ec2) env.AWS_ENDPOINT_URL_EC2 = endpoint.ec2;
  return { ...env, ...extra };
}

/** An environment with no AWS endpoint at all (the start-up benchmark never looks an AMI up). */
export function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  delete env.AMI_GUARD_INVENTORY;
  return env;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(ours: number, anchor: number): number {
  return anchor > 0 ? ours / anchor : Number.NaN;
}

/** Writes one line to stderr, so progress never mixes with a result on stdout. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
