/**
 * Thin test helpers over the engine-protocol client (src/analyzer): start the project's policy pack as the
 * engine does, describe resources as the engine sends them, and write AMI inventories whose dates are relative
 * to today (so they never rot).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPolicyPack, type PolicyPackProcess } from "../../src/analyzer/client";
import { requireBuiltCli, type CliRun } from "./cli";
import type {
  AnalyzedResource,
  JsonObject,
  ProviderResource,
  ResourceOptions,
} from "../../src/analyzer/types";

export const REPO = path.resolve(__dirname, "..", "..");
export const PACK_DIR = path.join(REPO, "policy-pack");
export const STACK = "test";
export const PROJECT = "ami-guard";
const DAY = 86_400_000;

/** Fails with a clear message when the pack has not been compiled (the engine runs policy-pack/bin). */
export function requireBuiltPack(): void {
  if (!fs.existsSync(path.join(PACK_DIR, "bin", "index.js"))) {
    throw new Error(
      "policy-pack/bin/index.js is missing: run `npm run build` (npm ci does it) before the tests",
    );
  }
}

/** Starts the project's pack exactly as the engine does, with `env` added to this process's environment. */
export async function startPack(env: Record<string, string | undefined> = {}): Promise<PolicyPackProcess> {
  requireBuiltPack();
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_PROJECT: PROJECT,
    PULUMI_STACK: STACK,
    PULUMI_DRY_RUN: "true",
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return startPolicyPack({ dir: PACK_DIR, env: merged, engineAddress: "127.0.0.1:1" });
}

export function urnOf(type: string, name: string, parentType?: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

/** The default AWS provider as the engine sends it, with its inputs. */
export function awsProvider(region = "eu-west-1"): ProviderResource {
  return {
    type: "pulumi:providers:aws",
    name: "default_7_48_0",
    urn: urnOf("pulumi:providers:aws", "default_7_48_0"),
    properties: { region, version: "7.48.0" },
  };
}

/** A resource as the engine sends it to Analyze: inputs, options (ignoreChanges, parent…) and provider. */
export function resource(
  type: string,
  name: string,
  properties: JsonObject,
  options: ResourceOptions = {},
  provider: ProviderResource | undefined = awsProvider(),
): AnalyzedResource {
  return { type, name, urn: urnOf(type, name), properties, options, provider };
}

export interface ImageSpec {
  id: string;
  owner?: string;
  alias?: string;
  public?: boolean;
  encrypted?: boolean;
  ageDays?: number;
  tags?: Record<string, string>;
  state?: string;
  launchPermissions?: { Group?: string; UserId?: string }[];
}

export const APPROVED_TAGS = { Version: "1.0.0", Environment: "test", Approved: "true" };

/** One image in the `aws ec2 describe-images --output json` shape, created `ageDays` ago. */
export function image(s: ImageSpec): Record<string, unknown> {
  return {
    ImageId: s.id,
    Name: `image-${s.id}`,
    OwnerId: s.owner ?? "123456789012",
    ...(s.alias ? { ImageOwnerAlias: s.alias } : {}),
    Public: s.public ?? false,
    State: s.state ?? "available",
    CreationDate: new Date(Date.now() - (s.ageDays ?? 3) * DAY).toISOString(),
    RootDeviceType: "ebs",
    BlockDeviceMappings: [
      {
        DeviceName: "/dev/xvda",
        Ebs: { SnapshotId: `snap-${s.id.slice(4)}`, Encrypted: s.encrypted ?? true },
      },
    ],
    Tags: Object.entries(s.tags ?? APPROVED_TAGS).map(([Key, Value]) => ({ Key, Value })),
    ...(s.launchPermissions ? { LaunchPermissions: s.launchPermissions } : {}),
  };
}

/** Writes an inventory file in a fresh temporary directory and returns its path. */
export function writeInventory(
  images: Record<string, unknown>[],
  extra: { Parameters?: unknown[]; LaunchTemplateVersions?: unknown[] } = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-inv-"));
  const file = path.join(dir, "inventory.json");
  fs.writeFileSync(file, JSON.stringify({ Images: images, ...extra }, null, 2));
  return file;
}

export const FIXTURE_PROJECT = path.join(REPO, "tests", "fixtures", "preview", "project");

export type { CliRun } from "./cli";

/** The tests' TypeScript loader (see register.js), which also runs the CLI from source. */
const TEST_REGISTER = path.join(__dirname, "register.js");

/**
 * Stretches the CLI runs' time limits on a loaded machine (AMI_GUARD_TEST_TIME_SCALE=3, say); 1 by default.
 */
const TIME_SCALE = Math.max(1, Number(process.env.AMI_GUARD_TEST_TIME_SCALE) || 1);

/** A time limit stretched by AMI_GUARD_TEST_TIME_SCALE: for the mocha timeouts of specs that start processes. */
export function scaled(ms: number): number {
  return ms * TIME_SCALE;
}

/**
 * Runs `ami-guard` from source (transpiled on load by the register hook the tests run under, .mocharc.json) or
 * compiled (`dist/`, as `npm start` runs), with stdin closed and no terminal, and returns its exit code and
 * output.
 */
export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    compiled?: boolean;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<CliRun> {
  if (opts.compiled) requireBuiltCli();
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const argv = opts.compiled
    ? [path.join(REPO, "dist", "src", "cli", "ami-guard.js"), ...args]
    : [
        // the workspace package's TypeScript sources, as the tests load them (policy-pack/package.json exports)
        "--conditions=ami-guard-source",
        "-r",
        TEST_REGISTER,
        path.join(REPO, "src", "cli", "ami-guard.ts"),
        ...args,
      ];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(
      () => {
        child.kill("SIGKILL");
        reject(new Error(`ami-guard ${args.join(" ")} did not finish in time\n${stderr}`));
      },
      (opts.timeoutMs ?? 50_000) * TIME_SCALE,
    );
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
