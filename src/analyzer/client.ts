/**
 * A client of the `pulumirpc.Analyzer` protocol that starts a CrossGuard policy pack exactly as the Pulumi
 * engine does: `pulumi-analyzer-policy <engineAddr> .` with the pack directory as working directory, which is
 * `node <@pulumi/pulumi>/cmd/run-policy-pack <engineAddr> .`; the pack prints its port as the first line of
 * stdout, and the engine talks gRPC to 127.0.0.1:<port>.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { loadAnalyzerStubs, runPolicyPackScript, type AnalyzerStubs } from "./proto";
import {
  ENFORCEMENT_LEVELS,
  type AnalyzeResult,
  type AnalyzedResource,
  type AnalyzerInfo,
  type Diagnostic,
  type EnforcementLevel,
  type JsonObject,
  type PolicyConfig,
  type PolicyInfo,
  type PolicySeverity,
  type PolicyType,
  type ProviderResource,
  type ResourceOptions,
  type StackConfiguration,
} from "./types";

/** Something went wrong starting or talking to the pack; the message says what, with the pack's own words. */
export class AnalyzerError extends Error {
  constructor(
    message: string,
    /** The gRPC status code, when the failure was a gRPC error. */
    readonly code?: number,
  ) {
    super(message);
    this.name = "AnalyzerError";
  }
}

export interface StartOptions {
  /** The policy pack directory (holds PulumiPolicy.yaml and package.json). */
  dir: string;
  /** The pack process's environment (defaults to this process's). */
  env?: NodeJS.ProcessEnv;
  /** The engine address passed as the first argument (run-policy-pack drops it). */
  engineAddress?: string;
  /** How long to wait for the port, in ms (default 60 s: a TypeScript pack is type-checked at start). */
  startTimeoutMs?: number;
  /** The deadline of each call, in ms (default 300 s: live EC2 look-ups retry). */
  callTimeoutMs?: number;
  /** The Node.js binary (default: this one). */
  nodePath?: string;
}

const SEVERITIES: Record<number, PolicySeverity> = {
  0: "unspecified",
  1: "low",
  2: "medium",
  3: "high",
  4: "critical",
};
const TYPES: Record<number, PolicyType> = { 0: "unknown", 1: "resource", 2: "stack" };
const MAX_STDERR = 64 * 1024;

/** Checks what a pack directory needs before the engine could run it; returns a problem or undefined. */
export function checkPackDir(dir: string): string | undefined {
  if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml")))
    return `${dir} is not a policy pack (no PulumiPolicy.yaml)`;
  const pkgFile = path.join(dir, "package.json");
  let pkg: { main?: string; version?: string };
  try {
    pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as typeof pkg;
  } catch (e) {
    return `cannot read ${pkgFile}: ${(e as Error).message}`;
  }
  if (!pkg.version) return `${pkgFile} has no version (the pack reads its version from it)`;
  const main = path.resolve(dir, pkg.main ?? "index.js");
  if (!fs.existsSync(main) && !fs.existsSync(`${main}.js`)) {
    return `the policy pack's main ${path.relative(process.cwd(), main) || main} does not exist: run \`npm run build\` first`;
  }
  return undefined;
}

/** A running policy pack and a typed client of its Analyzer service. Call {@link close} when done. */
export class PolicyPackProcess {
  private stderrText = "";
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly client: InstanceType<AnalyzerStubs["services"]["AnalyzerClient"]>,
    private readonly stubs: AnalyzerStubs,
    private readonly callTimeoutMs: number,
    stderrSoFar: string,
  ) {
    this.stderrText = stderrSoFar;
    child.stderr?.on("data", (d: Buffer) => this.appendStderr(d.toString()));
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.exited = { code: child.exitCode, signal: child.signalCode };
        resolve();
      } else {
        child.once("exit", (code, signal) => {
          this.exited = { code, signal };
          resolve();
        });
      }
    });
  }

  private appendStderr(s: string): void {
    this.stderrText = (this.stderrText + s).slice(-MAX_STDERR);
  }

  /** What the pack wrote to stderr so far (the last 64 KiB). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Starts the pack as the engine does and connects to it. Rejects with AnalyzerError naming the cause. */
  static async start(opts: StartOptions): Promise<PolicyPackProcess> {
    const dir = path.resolve(opts.dir);
    const problem = checkPackDir(dir);
    if (problem) throw new AnalyzerError(problem);
    const stubs = loadAnalyzerStubs(dir);
    const script = runPolicyPackScript(dir);
    const child = spawn(
      opts.nodePath ?? process.execPath,
      [script, opts.engineAddress ?? "127.0.0.1:0", "."],
      {
        cwd: dir,
        env: opts.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    const onErr = (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-MAX_STDERR);
    };
    child.stderr!.on("data", onErr);
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
          () =>
            fail(`the policy pack in ${dir} did not print its port within ${Math.round(timeoutMs / 1000)} s`),
          timeoutMs,
        );
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off("data", onData);
          child.off("exit", onExit);
          child.off("error", onSpawnError);
        };
        const fail = (why: string) => {
          cleanup();
          reject(new AnalyzerError(withStderr(why, stderr)));
        };
        const onData = (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf("\n");
          if (nl < 0) return;
          const first = out.slice(0, nl).trim();
          const n = Number(first);
          cleanup();
          if (!/^[0-9]+$/.test(first) || n <= 0 || n > 65535) {
            reject(
              new AnalyzerError(
                withStderr(`the policy pack printed ${JSON.stringify(first)} instead of its port`, stderr),
              ),
            );
          } else {
            resolve(n);
          }
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
          fail(`the policy pack in ${dir} exited (${signal ?? `code ${code}`}) before printing its port`);
        const onSpawnError = (e: Error) => fail(`cannot start the policy pack: ${e.message}`);
        child.stdout!.on("data", onData);
        child.once("exit", onExit);
        child.once("error", onSpawnError);
      });
    } catch (e) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      throw e;
    }
    // Keep draining stdout (policies may log) so the pipe never blocks the pack.
    child.stdout!.on("data", () => undefined);
    child.stderr!.off("data", onErr);
    const client = new stubs.services.AnalyzerClient(
      `127.0.0.1:${port}`,
      stubs.grpc.credentials.createInsecure(),
      {
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
        "grpc.max_send_message_length": 400 * 1024 * 1024,
      },
    );
    return new PolicyPackProcess(child, port, client, stubs, opts.callTimeoutMs ?? 300_000, stderr);
  }

  private call<Req, Res>(
    method: string,
    fn: (
      req: Req,
      metadata: grpcTypes.Metadata,
      opts: Partial<grpcTypes.CallOptions>,
      cb: (err: grpcTypes.ServiceError | null, res: Res) => void,
    ) => unknown,
    req: Req,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const opts = { deadline: Date.now() + this.callTimeoutMs };
      fn.call(
        this.client,
        req,
        new this.stubs.grpc.Metadata(),
        opts,
        (err: grpcTypes.ServiceError | null, res: Res) => {
          if (err) {
            const detail = err.details || err.message || String(err);
            // Give the pack a moment to finish writing why it died.
            setTimeout(
              () => {
                const dead = this.exited
                  ? ` (the policy pack exited: ${this.exited.signal ?? `code ${this.exited.code}`})`
                  : "";
                reject(
                  new AnalyzerError(
                    withStderr(`${method} failed${dead}: ${detail}`, this.exited ? this.stderr : ""),
                    err.code,
                  ),
                );
              },
              this.exited ? 0 : 50,
            );
          } else {
            resolve(res as Res);
          }
        },
      );
    });
  }

  async getPluginInfo(): Promise<{ version: string }> {
    const res = await this.call("GetPluginInfo", this.client.getPluginInfo, new this.stubs.empty.Empty());
    return { version: res.getVersion() };
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    const res = await this.call("GetAnalyzerInfo", this.client.getAnalyzerInfo, new this.stubs.empty.Empty());
    const initialConfig: Record<string, PolicyConfig> = {};
    res.getInitialconfigMap().forEach((v: analyzerPb.PolicyConfig, k: string) => {
      initialConfig[k] = {
        enforcementLevel: levelName(this.stubs, v.getEnforcementlevel()),
        properties: structToJson(v.getProperties()),
      };
    });
    return {
      name: res.getName(),
      displayName: res.getDisplayname(),
      version: res.getVersion(),
      supportsConfig: res.getSupportsconfig(),
      description: res.getDescription(),
      policies: res.getPoliciesList().map((p): PolicyInfo => {
        const schema = p.getConfigschema();
        return {
          name: p.getName(),
          displayName: p.getDisplayname(),
          description: p.getDescription(),
          enforcementLevel: levelName(this.stubs, p.getEnforcementlevel()),
          policyType: TYPES[p.getPolicyType()] ?? "unknown",
          severity: SEVERITIES[p.getSeverity()] ?? "unspecified",
          configSchema: schema
            ? { properties: structToJson(schema.getProperties()), required: schema.getRequiredList() }
            : undefined,
        };
      }),
      initialConfig,
    };
  }

  /** Sends the policy configuration, as `--policy-pack-config` or `pulumi policy enable --config` does. */
  async configure(config: Record<string, PolicyConfig>): Promise<void> {
    const req = new this.stubs.pb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, c] of Object.entries(config)) {
      const code = levelCode(this.stubs, c.enforcementLevel);
      if (code === undefined) {
        throw new AnalyzerError(
          `policy ${name}: unknown enforcement level ${JSON.stringify(c.enforcementLevel)}`,
        );
      }
      const pc = new this.stubs.pb.PolicyConfig();
      pc.setEnforcementlevel(code);
      pc.setProperties(this.struct(c.properties ?? {}));
      map.set(name, pc);
    }
    await this.call("Configure", this.client.configure, req);
  }

  /** Tells the pack about the stack (its tags and config), as the engine does before analyzing. */
  async configureStack(s: StackConfiguration): Promise<void> {
    const req = new this.stubs.pb.AnalyzerStackConfigureRequest();
    req.setStack(s.stack);
    req.setProject(s.project);
    req.setOrganization(s.organization);
    req.setDryRun(s.dryRun);
    for (const [k, v] of Object.entries(s.tags ?? {})) req.getTagsMap().set(k, v);
    for (const [k, v] of Object.entries(s.config ?? {})) req.getConfigMap().set(k, v);
    req.setConfigSecretKeysList(s.configSecretKeys ?? []);
    await this.call("ConfigureStack", this.client.configureStack, req);
  }

  /** Analyzes one resource's inputs, as the engine does before the resource's step runs. */
  async analyze(r: AnalyzedResource): Promise<AnalyzeResult> {
    const req = new this.stubs.pb.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setProperties(this.struct(r.properties));
    req.setOptions(this.options(r.options));
    if (r.provider) req.setProvider(this.provider(r.provider));
    return this.result(await this.call("Analyze", this.client.analyze, req), r.urn);
  }

  /** Analyzes the whole stack (every resource with its outputs), as the engine does once all are known. */
  async analyzeStack(resources: AnalyzedResource[]): Promise<AnalyzeResult> {
    const req = new this.stubs.pb.AnalyzeStackRequest();
    req.setResourcesList(
      resources.map((r) => {
        const m = new this.stubs.pb.AnalyzerResource();
        m.setType(r.type);
        m.setName(r.name);
        m.setUrn(r.urn);
        m.setProperties(this.struct(r.properties));
        m.setOptions(this.options(r.options));
        if (r.provider) m.setProvider(this.provider(r.provider));
        if (r.parent) m.setParent(r.parent);
        m.setDependenciesList(r.dependencies ?? []);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
          const d = new this.stubs.pb.AnalyzerPropertyDependencies();
          d.setUrnsList(urns);
          m.getPropertydependenciesMap().set(k, d);
        }
        return m;
      }),
    );
    return this.result(await this.call("AnalyzeStack", this.client.analyzeStack, req), "");
  }

  /** Stops the pack (as the engine does when it is done) and waits for it to exit. */
  async close(): Promise<void> {
    this.client.close();
    if (!this.exited) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!this.exited) this.child.kill("SIGKILL");
      }, 3_000);
      await this.exitPromise;
      clearTimeout(timer);
    }
  }

  private struct(v: JsonObject) {
    // A JSON round trip drops undefined members, which Struct.fromJavaScript rejects.
    return this.stubs.struct.Struct.fromJavaScript(JSON.parse(JSON.stringify(v ?? {})));
  }

  private options(o: ResourceOptions): analyzerPb.AnalyzerResourceOptions {
    const m = new this.stubs.pb.AnalyzerResourceOptions();
    m.setProtect(o.protect ?? false);
    m.setIgnorechangesList(o.ignoreChanges ?? []);
    if (o.deleteBeforeReplace !== undefined) {
      m.setDeletebeforereplacedefined(true);
      m.setDeletebeforereplace(o.deleteBeforeReplace);
    }
    m.setAliasesList(o.aliases ?? []);
    m.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    if (o.customTimeouts) {
      const t = new this.stubs.pb.AnalyzerResourceOptions.CustomTimeouts();
      t.setCreate(o.customTimeouts.create ?? 0);
      t.setUpdate(o.customTimeouts.update ?? 0);
      t.setDelete(o.customTimeouts.delete ?? 0);
      m.setCustomtimeouts(t);
    }
    if (o.parent) m.setParent(o.parent);
    return m;
  }

  private provider(p: ProviderResource): analyzerPb.AnalyzerProviderResource {
    const m = new this.stubs.pb.AnalyzerProviderResource();
    m.setType(p.type);
    m.setName(p.name);
    m.setUrn(p.urn);
    m.setProperties(this.struct(p.properties));
    return m;
  }

  private result(res: analyzerPb.AnalyzeResponse, urn: string): AnalyzeResult {
    return {
      diagnostics: res.getDiagnosticsList().map((d): Diagnostic => ({
        policyName: d.getPolicyname(),
        policyPackName: d.getPolicypackname(),
        policyPackVersion: d.getPolicypackversion(),
        description: d.getDescription(),
        message: d.getMessage(),
        enforcementLevel: levelName(this.stubs, d.getEnforcementlevel()),
        // The engine attributes a diagnostic without a URN to the resource it analyzed.
        urn: d.getUrn() || urn,
        severity: SEVERITIES[d.getSeverity()] ?? "unspecified",
      })),
      notApplicable: res
        .getNotApplicableList()
        .map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
    };
  }
}

/** The protocol's value of a level, from the generated enum (`ADVISORY`, …) by name, never by a list's order. */
export function levelCode(stubs: AnalyzerStubs, level: string): analyzerPb.EnforcementLevel | undefined {
  const values = stubs.pb.EnforcementLevel as unknown as Record<string, analyzerPb.EnforcementLevel>;
  return (ENFORCEMENT_LEVELS as readonly string[]).includes(level) ? values[level.toUpperCase()] : undefined;
}

/** The level a protocol value stands for (advisory for a value this client does not know, as the engine does). */
export function levelName(stubs: AnalyzerStubs, code: number): EnforcementLevel {
  const values = stubs.pb.EnforcementLevel as unknown as Record<string, number>;
  return ENFORCEMENT_LEVELS.find((l) => values[l.toUpperCase()] === code) ?? "advisory";
}

function structToJson(s: { toJavaScript(): unknown } | undefined): JsonObject {
  return (s ? s.toJavaScript() : {}) as JsonObject;
}

function withStderr(message: string, stderr: string): string {
  const tail = stderr.trim().split("\n").slice(-15).join("\n");
  return tail ? `${message}\n${tail}` : message;
}

/** Starts a pack as the engine does (see {@link PolicyPackProcess.start}). */
export function startPolicyPack(opts: StartOptions): Promise<PolicyPackProcess> {
  return PolicyPackProcess.start(opts);
}
