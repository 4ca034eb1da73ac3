/**
 * The offline preview: run the program under mocks (in a child process) while the policy pack starts as the
 * engine starts it, then drive the pack through the Analyzer protocol as the engine would during
 * `pulumi preview --policy-pack policy-pack`: GetAnalyzerInfo, Configure, ConfigureStack, Analyze for every
 * resource (in registration order, with its provider and options), AnalyzeStack.
 */
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../cli/errors";
import type { Progress } from "../cli/progress";
import { AnalyzerError, startPolicyPack, type PolicyPackProcess } from "../analyzer/client";
import type {
  AnalyzedResource,
  Diagnostic,
  EnforcementLevel,
  JsonObject,
  PolicyConfig,
  ProviderResource,
} from "../analyzer/types";
import { InventoryError, readInventory } from "ami-guard-policies/aws/lookup";
import { readReferenceInventory } from "ami-guard-policies/aws/references";
import { readOwnerViews } from "ami-guard-policies/aws/owner";
import { isOwnProject } from "../../config/pack-settings";
import { parsePackConfig, toConfigure, type PackConfig } from "../pack-config/parse";
import { PACK_DEFAULTS, readPackConfig } from "../pack-config/read";
import { packSettingsOfStack } from "../pack-config/stack";
import { findProjectRoot, readProject, readStackConfig, resolveProgram, type Project } from "./project";
import type { RegisteredResource, RunFailure, RunJob, RunReply, RunResult } from "./protocol";
import { ConfigError } from "../../config/errors";

export interface PreviewOptions {
  stack: string;
  /** Where to look for Pulumi.yaml (default: the working directory, then its parents). */
  cwd?: string;
  /** An inventory file (`aws ec2 describe-images --output json` shape). */
  inventory?: string;
  /** Look AMIs up in EC2 with the user's AWS environment instead of an inventory. */
  live?: boolean;
  policyPackConfig?: string;
  /** A stack config file used instead of the stack's own (as `pulumi preview --config-file`). */
  configFile?: string;
  /** The policy pack directory (default: <project>/policy-pack). */
  policyPack?: string;
  /** Writes the effective policy configuration here, in the `--policy-pack-config` format. */
  writePolicyPackConfig?: string;
  /** The organization the engine reports (default: `organization`, Pulumi's placeholder). */
  organization?: string;
  /** Where the slow steps report their progress (the command's terminal bar, or nothing). */
  progress?: Pick<Progress, "step">;
}

export interface PlannedResource {
  type: string;
  name: string;
  urn: string;
  parent: string;
  /** A default provider the engine adds by itself (hidden from the plan, as Pulumi does). */
  defaultProvider: boolean;
}

export interface ReportedDiagnostic {
  policy: string;
  level: EnforcementLevel;
  message: string;
  urn: string;
  severity: string;
  pack: string;
}

export interface PreviewReport {
  stack: string;
  project: string;
  pack: { name: string; version: string; dir: string };
  /** Where AMI facts came from: an inventory file, or `EC2 (live)`. */
  facts: string;
  /** Where the policy configuration came from. */
  policyConfigSource: string;
  /** The effective configuration sent with Configure. */
  policyConfig: Record<string, PolicyConfig>;
  resources: PlannedResource[];
  diagnostics: ReportedDiagnostic[];
  /** How many diagnostics are mandatory (the update would be blocked when > 0). */
  mandatory: number;
  timings: { programMs: number; packStartMs: number; analyzeMs: number; totalMs: number };
}

const ROOT_TYPE = "pulumi:pulumi:Stack";
const RUN_TIMEOUT_MS = 300_000;

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

/** The module this file was loaded as: `.ts` under ts-node (tests), `.js` compiled. */
const OWN_EXT = path.extname(__filename);

/** A config error of the program, naming the stack config file that was actually read. */
function configErrorMessage(reply: RunFailure, stackFile: string | undefined): string {
  if (!reply.config || !stackFile) return reply.message;
  return new ConfigError(reply.config.key, rel(stackFile), reply.config.problem).message;
}

/** Runs the program under mocks in a child process and returns what it registered. */
export function runProgram(job: RunJob, root: string): Promise<RunResult> {
  const runner = path.join(__dirname, `runner${OWN_EXT}`);
  const needsTs = runner.endsWith(".ts") || job.program.endsWith(".ts");
  const execArgv: string[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (needsTs) {
    let tsNode: string;
    try {
      tsNode = require.resolve("ts-node/register/transpile-only", { paths: [root, __dirname] });
    } catch {
      return Promise.reject(
        new UserError(
          `the program ${rel(job.program)} is TypeScript and ts-node is not installed: run \`npm run build\` first`,
        ),
      );
    }
    execArgv.push("-r", tsNode);
    // run from source (the tests): the workspace pack's TypeScript sources too (policy-pack/package.json exports)
    if (runner.endsWith(".ts")) execArgv.push("--conditions=ami-guard-source");
    if (!env.TS_NODE_PROJECT && fs.existsSync(path.join(root, "tsconfig.json")))
      env.TS_NODE_PROJECT = path.join(root, "tsconfig.json");
  }
  return new Promise<RunResult>((resolve, reject) => {
    const child = fork(runner, [], { cwd: root, env, execArgv, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-16_384);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    let reply: RunReply | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new UserError(`the program did not finish within ${RUN_TIMEOUT_MS / 1000} s under mocks`));
    }, RUN_TIMEOUT_MS);
    child.on("message", (m: RunReply) => {
      reply = m;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new UserError(`cannot run the program: ${e.message}`));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!reply) {
        const tail = output.trim().split("\n").slice(-10).join("\n");
        reject(
          new UserError(
            `the program runner exited (${signal ?? `code ${code}`}) without a result${tail ? `:\n${tail}` : ""}`,
          ),
        );
      } else if (reply.kind === "error") {
        if (reply.name === "ConfigError") reject(new UserError(configErrorMessage(reply, job.stackFile)));
        else if (reply.phase === "invoke") reject(new UserError(reply.message));
        else
          reject(
            new UserError(
              `the program failed${reply.phase === "load" ? " to load" : ""} under mocks: ${reply.message}`,
            ),
          );
      } else {
        resolve(reply);
      }
    });
    child.send(job);
  });
}

/** Splits a provider reference `urn::id` into its URN. */
function providerUrn(ref: string): string {
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

function pkgOf(type: string): string {
  return type.split(":")[0];
}

/**
 * Turns the registrations into what the engine would send: adds the default provider of each package (with the
 * stack's `<package>:*` config as its inputs) before the first resource that uses it, and attaches to every
 * custom resource its provider resource.
 */
export function toAnalyzed(
  registered: RegisteredResource[],
  project: string,
  stack: string,
  config: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): { resources: AnalyzedResource[]; planned: PlannedResource[] } {
  const resources: AnalyzedResource[] = [];
  const planned: PlannedResource[] = [];
  const providers = new Map<string, ProviderResource>();
  for (const r of registered) {
    if (r.type.startsWith("pulumi:providers:")) {
      providers.set(r.urn, { type: r.type, name: r.name, urn: r.urn, properties: r.inputs });
    }
  }
  const defaults = new Map<string, ProviderResource>();
  const defaultProvider = (pkg: string, version: string): ProviderResource => {
    const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
    const key = `${pkg}/${name}`;
    let p = defaults.get(key);
    if (!p) {
      const properties: JsonObject = {};
      for (const [k, v] of Object.entries(config)) {
        if (!k.startsWith(`${pkg}:`)) continue;
        const short = k.slice(pkg.length + 1);
        let value: JsonObject[string] = v;
        if (/^[[{]/.test(v)) {
          try {
            value = JSON.parse(v) as JsonObject[string];
          } catch {
            value = v;
          }
        }
        properties[short] = value;
      }
      // The AWS provider's Check fills the region from the environment when the config leaves it out.
      if (pkg === "aws" && properties.region === undefined && (env.AWS_REGION || env.AWS_DEFAULT_REGION)) {
        properties.region = (env.AWS_REGION || env.AWS_DEFAULT_REGION) as string;
      }
      if (version) properties.version = version;
      p = {
        type: `pulumi:providers:${pkg}`,
        name,
        urn: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::${name}`,
        properties,
      };
      defaults.set(key, p);
      resources.push({ type: p.type, name: p.name, urn: p.urn, properties: p.properties, options: {} });
      planned.push({ type: p.type, name: p.name, urn: p.urn, parent: "", defaultProvider: true });
    }
    return p;
  };
  for (const r of registered) {
    let provider: ProviderResource | undefined;
    if (r.custom && !r.type.startsWith("pulumi:providers:")) {
      provider = r.provider
        ? providers.get(providerUrn(r.provider))
        : defaultProvider(pkgOf(r.type), r.version);
    }
    resources.push({
      type: r.type,
      name: r.name,
      urn: r.urn,
      properties: r.inputs,
      options: {
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
        deleteBeforeReplace: r.deleteBeforeReplace,
        additionalSecretOutputs: r.additionalSecretOutputs,
        customTimeouts: r.customTimeouts,
        parent: r.parent || undefined,
      },
      provider,
      parent: r.parent || undefined,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
    });
    planned.push({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, defaultProvider: false });
  }
  return { resources, planned };
}

/** Runs the whole preview. Throws UserError for bad input or anything that kept it from completing. */
export async function runPreview(opts: PreviewOptions): Promise<PreviewReport> {
  const t0 = Date.now();
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const root = findProjectRoot(cwd);
  if (!root) throw new UserError(`no Pulumi project (Pulumi.yaml) in ${cwd} or its parents`);
  const project: Project = readProject(root);
  const stackConfig = readStackConfig(project, opts.stack, opts.configFile);

  if (opts.live && opts.inventory)
    throw new UserError("--live and --inventory exclude each other: pick one source of AMI facts");
  let inventory: string | undefined;
  if (!opts.live) {
    inventory = path.resolve(opts.inventory ?? path.join(root, "inventory", "default.json"));
    try {
      readInventory(inventory);
      readReferenceInventory(inventory);
      readOwnerViews(inventory);
    } catch (e) {
      if (e instanceof InventoryError) throw new UserError(e.message.replace(inventory, rel(inventory)));
      throw e;
    }
  }
  let packConfig: PackConfig;
  let policyConfigSource: string;
  if (opts.policyPackConfig) {
    packConfig = readPackConfig(path.resolve(opts.policyPackConfig));
    policyConfigSource = packConfig.source;
  } else if (isOwnProject(project.name)) {
    packConfig = parsePackConfig(packSettingsOfStack(project, stackConfig), rel(stackConfig.file));
    policyConfigSource = `derived from ${rel(stackConfig.file)} (ami-guard pack-config --stack ${opts.stack} writes it)`;
  } else {
    packConfig = parsePackConfig(undefined, PACK_DEFAULTS);
    policyConfigSource = PACK_DEFAULTS;
  }
  const packDir = path.resolve(opts.policyPack ?? path.join(root, "policy-pack"));
  const program = resolveProgram(project, OWN_EXT === ".js");
  const organization = opts.organization ?? "organization";
  const region =
    stackConfig.config["aws:region"] || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;

  const packEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(stackConfig.config),
    PULUMI_PROJECT: project.name,
    PULUMI_STACK: opts.stack,
    PULUMI_ORGANIZATION: organization,
    PULUMI_DRY_RUN: "true",
    PULUMI_NODEJS_PROJECT: project.name,
    PULUMI_NODEJS_STACK: opts.stack,
    PULUMI_NODEJS_ORGANIZATION: organization,
    PULUMI_NODEJS_DRY_RUN: "true",
  };
  if (inventory) packEnv.AMI_GUARD_INVENTORY = inventory;
  else delete packEnv.AMI_GUARD_INVENTORY;

  const progress = opts.progress;
  let startDone = 0;
  const startTotal = 2;
  progress?.step("running the program under mocks, starting the policy pack", 0, startTotal);
  const timings = { programMs: 0, packStartMs: 0, analyzeMs: 0, totalMs: 0 };

  // The program run and the pack start proceed in parallel.
  const programP = runProgram(
    {
      program,
      project: project.name,
      stack: opts.stack,
      organization,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
      region,
      stackFile: stackConfig.file,
    },
    root,
  ).then((r) => {
    timings.programMs = Date.now() - t0;
    progress?.step("program run; starting the policy pack", ++startDone, startTotal);
    return r;
  });
  const packP = startPolicyPack({ dir: packDir, env: packEnv }).then((p) => {
    timings.packStartMs = Date.now() - t0;
    progress?.step("policy pack started; running the program", ++startDone, startTotal);
    return p;
  });
  const [programR, packR] = await Promise.allSettled([programP, packP]);
  let pack: PolicyPackProcess | undefined = packR.status === "fulfilled" ? packR.value : undefined;
  try {
    if (programR.status === "rejected") throw programR.reason;
    if (packR.status === "rejected") {
      const e = packR.reason as Error;
      throw e instanceof AnalyzerError
        ? new UserError(`cannot start the policy pack ${rel(packDir)}: ${e.message}`)
        : e;
    }
    pack = packR.value;
    const run = programR.value;
    const t1 = Date.now();
    const info = await pack.getAnalyzerInfo();
    const policyConfig = toConfigure(packConfig, info);
    await pack.configure(policyConfig);
    if (opts.writePolicyPackConfig) {
      const doc: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(policyConfig))
        doc[k] = { enforcementLevel: v.enforcementLevel, ...v.properties };
      try {
        fs.writeFileSync(path.resolve(opts.writePolicyPackConfig), `${JSON.stringify(doc, null, 2)}\n`);
      } catch (e) {
        throw new UserError(`cannot write ${opts.writePolicyPackConfig}: ${(e as Error).message}`);
      }
    }
    await pack.configureStack({
      stack: opts.stack,
      project: project.name,
      organization,
      dryRun: true,
      config: stackConfig.config,
      configSecretKeys: stackConfig.secretKeys,
    });
    const { resources, planned } = toAnalyzed(run.resources, project.name, opts.stack, stackConfig.config);
    const diagnostics: ReportedDiagnostic[] = [];
    const take = (ds: Diagnostic[]) => {
      for (const d of ds) {
        diagnostics.push({
          policy: d.policyName,
          level: d.enforcementLevel,
          message: d.message,
          urn: d.urn,
          severity: d.severity,
          pack: `${d.policyPackName}@v${d.policyPackVersion}`,
        });
      }
    };
    const total = resources.length + 1;
    let i = 0;
    for (const r of resources) {
      progress?.step(`analyzing ${r.type} ${r.name}`, i++, total);
      take((await pack.analyze(r)).diagnostics);
    }
    progress?.step("analyzing the stack", i, total);
    const stackResources = resources.map((r) => {
      const reg = run.resources.find((x) => x.urn === r.urn);
      // Under preview, a new resource's outputs are its inputs plus unknown computed values.
      return { ...r, properties: reg ? { ...r.properties, ...reg.outputs } : r.properties };
    });
    take((await pack.analyzeStack(stackResources)).diagnostics);
    progress?.step("done", total, total);
    timings.analyzeMs = Date.now() - t1;
    timings.totalMs = Date.now() - t0;
    return {
      stack: opts.stack,
      project: project.name,
      pack: { name: info.name, version: info.version, dir: packDir },
      facts: inventory ? rel(inventory) : "EC2 (live look-ups with your AWS environment)",
      policyConfigSource,
      policyConfig,
      resources: planned,
      diagnostics,
      mandatory: diagnostics.filter((d) => d.level === "mandatory" || d.level === "remediate").length,
      timings,
    };
  } catch (e) {
    if (e instanceof AnalyzerError) throw new UserError(`the policy pack failed: ${e.message}`);
    throw e;
  } finally {
    await pack?.close();
  }
}

export { ROOT_TYPE };
