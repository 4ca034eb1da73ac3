/** The machine and the versions a benchmark ran with, for the results file. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BENCH, ROOT } from "./common";

export interface MachineFacts {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  npm: string;
  loadAverage: number[];
  commit: string;
  versions: Record<string, string>;
}

function versionOf(pkg: string, from: string): string {
  try {
    const file =
      pkg === "."
        ? path.join(from, "package.json")
        : require.resolve(`${pkg}/package.json`, { paths: [from] });
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version.replace(/^v/, "");
  } catch {
    return "not installed";
  }
}

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

export function machineFacts(): MachineFacts {
  const anchorDir = path.join(BENCH, "anchor-pack");
  const awsguardDir = path.dirname(require.resolve("@pulumi/awsguard/package.json", { paths: [anchorDir] }));
  const head = quiet("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = quiet("git", ["status", "--porcelain", "--untracked-files=no"]);
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cpus: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    npm: quiet("npm", ["--version"]),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    commit:
      head === "unknown"
        ? head
        : `${head}${dirty && dirty !== "unknown" ? " (with uncommitted changes)" : ""}`,
    versions: {
      "ami-guard policy pack": versionOf(".", path.join(ROOT, "policy-pack")),
      "@pulumi/pulumi (ours)": versionOf("@pulumi/pulumi", path.join(ROOT, "policy-pack")),
      "@pulumi/policy (ours)": versionOf("@pulumi/policy", path.join(ROOT, "policy-pack")),
      "@aws-sdk/client-ec2": versionOf("@aws-sdk/client-ec2", path.join(ROOT, "policy-pack")),
      "@pulumi/aws (program)": versionOf("@pulumi/aws", ROOT),
      "@pulumi/awsguard (anchor)": versionOf("@pulumi/awsguard", anchorDir),
      "@pulumi/aws (anchor)": versionOf("@pulumi/aws", awsguardDir),
      "@pulumi/pulumi (anchor)": versionOf("@pulumi/pulumi", anchorDir),
      "@pulumi/policy (anchor)": versionOf("@pulumi/policy", anchorDir),
    },
  };
}
