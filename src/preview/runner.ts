/**
 * Runs the project's Pulumi program under Pulumi's mocks, in its own process (mocks are global), with preview
 * semantics: every RegisterResource request is recorded as the engine would receive it (type, name, parent,
 * provider, inputs with unknowns, dependencies, protect, ignoreChanges, …); ids and computed outputs stay
 * unknown, as in `pulumi preview` for resources that are to be created. The program runs inside a
 * `pulumi:pulumi:Stack` root resource as the Node.js language host runs it.
 *
 * Started by the preview with an IPC channel: it receives one {@link RunJob} and answers one {@link RunReply}.
 */
import * as path from "node:path";
import type { JsonObject } from "../analyzer/types";
import { configList, type RegisteredResource, type RunJob, type RunReply } from "./protocol";

const ROOT_TYPE = "pulumi:pulumi:Stack";

/** An invoke the runner cannot answer without the cloud. */
class OfflineInvokeError extends Error {
  constructor(readonly token: string) {
    super(
      token === "aws:index/getCallerIdentity:getCallerIdentity"
        ? `the program calls ${token}; offline, ami-guard preview answers it only from a stack config aws:allowedAccountIds that names exactly one account`
        : `the program calls ${token}, which needs the cloud provider; ami-guard preview cannot answer it offline (use pulumi preview --policy-pack policy-pack for this stack)`,
    );
    this.name = "OfflineInvokeError";
  }
}

function partitionOf(region: string): { partition: string; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

/** The invokes whose answers follow from the stack's configuration alone. */
function answerInvoke(token: string, inputs: Record<string, unknown>, job: RunJob): Record<string, unknown> {
  const region =
    (typeof inputs.region === "string" && inputs.region) ||
    (typeof inputs.name === "string" && inputs.name) ||
    job.region;
  switch (token) {
    case "aws:index/getRegion:getRegion":
      if (!region) break;
      return {
        id: region,
        name: region,
        region,
        endpoint: `ec2.${region}.${partitionOf(region).dnsSuffix}`,
        description: region,
      };
    case "aws:index/getPartition:getPartition": {
      if (!job.region) break;
      const p = partitionOf(job.region);
      return {
        id: p.partition,
        partition: p.partition,
        dnsSuffix: p.dnsSuffix,
        reverseDnsPrefix: p.dnsSuffix.split(".").reverse().join("."),
      };
    }
    case "aws:index/getCallerIdentity:getCallerIdentity": {
      // The AWS provider refuses to run in any account but those of aws:allowedAccountIds: with exactly one,
      // that is the account a real preview would see. The caller's own ARN and user id stay unknown.
      const allowed = configList(job.config["aws:allowedAccountIds"]);
      if (allowed.length !== 1) break;
      return { id: allowed[0], accountId: allowed[0], arn: UNKNOWN, userId: UNKNOWN };
    }
  }
  throw new OfflineInvokeError(token);
}

/** The engine's marker for a value unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function toJson(struct: { toJavaScript(): unknown } | undefined): JsonObject {
  return (struct ? struct.toJavaScript() : {}) as JsonObject;
}

async function run(job: RunJob): Promise<RunReply> {
  const programDir = path.dirname(job.program);
  for (const [k, v] of Object.entries({
    PULUMI_CONFIG: JSON.stringify(job.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(job.secretKeys),
    PULUMI_NODEJS_PROJECT: job.project,
    PULUMI_NODEJS_STACK: job.stack,
    PULUMI_NODEJS_ORGANIZATION: job.organization,
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_PROJECT: job.project,
    PULUMI_STACK: job.stack,
    PULUMI_ORGANIZATION: job.organization,
    PULUMI_DRY_RUN: "true",
  })) {
    process.env[k] = v;
  }
  // The program's own copy of @pulumi/pulumi: mocks are installed on a module instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require(
    require.resolve("@pulumi/pulumi", { paths: [programDir] }),
  ) as typeof import("@pulumi/pulumi");
  const runtime = pulumi.runtime as typeof pulumi.runtime & {
    setAllConfig(c: Record<string, string>, secretKeys?: string[]): void;
    getMonitor(): unknown;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  };
  const resources: RegisteredResource[] = [];
  const byUrn = new Map<string, RegisteredResource>();
  const invokes: Record<string, number> = {};
  let invokeFailure: OfflineInvokeError | undefined;

  await runtime.setMocks(
    {
      newResource: (args) => ({ id: undefined as unknown as string, state: args.inputs }),
      call: (args) => {
        invokes[args.token] = (invokes[args.token] ?? 0) + 1;
        try {
          return answerInvoke(args.token, args.inputs as Record<string, unknown>, job);
        } catch (e) {
          invokeFailure ??= e as OfflineInvokeError;
          throw e;
        }
      },
    },
    job.project,
    job.stack,
    true,
    job.organization,
  );
  runtime.setAllConfig(job.config, job.secretKeys);

  type Req = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getVersion(): string;
    getObject(): { toJavaScript(): unknown } | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getProtect(): boolean;
    getIgnorechangesList(): string[];
    getDeletebeforereplace(): boolean;
    getDeletebeforereplacedefined(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  };
  type Monitor = {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(
      req: Req,
      cb: (err: unknown, res?: { getObject(): { toJavaScript(): unknown } | undefined }) => void,
    ): Promise<void>;
    registerResourceOutputs(
      req: { getUrn(): string; getOutputs(): { toJavaScript(): unknown } | undefined },
      cb: (err: unknown, res?: unknown) => void,
    ): void;
  };
  const monitor = runtime.getMonitor() as unknown as Monitor;
  const baseNewUrn = monitor.newUrn.bind(monitor);
  // The engine leaves the root stack's type out of its children's URNs.
  monitor.newUrn = (parent, type, name) => {
    const parentType = parent ? (parent.split("::")[2] ?? "").split("$").pop() : "";
    return baseNewUrn(parentType === ROOT_TYPE ? "" : parent, type, name);
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    // Recorded when the request is made: the engine sees registrations in this order.
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => {
      propertyDependencies[k] = v.getUrnsList();
    });
    const t = req.getCustomtimeouts();
    const seconds = (s: string | undefined) => {
      const m = s ? /^([0-9.]+)(ms|s|m|h)?$/.exec(s) : null;
      if (!m) return undefined;
      return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
    };
    const r: RegisteredResource = {
      urn,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent(),
      provider: req.getProvider(),
      version: req.getVersion(),
      inputs: toJson(req.getObject()),
      outputs: {},
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      protect: req.getProtect(),
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      customTimeouts: t
        ? { create: seconds(t.getCreate()), update: seconds(t.getUpdate()), delete: seconds(t.getDelete()) }
        : undefined,
    };
    resources.push(r);
    byUrn.set(urn, r);
    return register(req, (err, res) => {
      if (!err) r.outputs = toJson(res?.getObject());
      cb(err, res);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const r = byUrn.get(req.getUrn());
    if (r) r.outputs = toJson(req.getOutputs());
    registerOutputs(req, cb);
  };

  let loaded = false;
  try {
    await runtime.runInPulumiStack(async () => {
      // As the Node.js language host does: a default export or the module's exports, called when a function.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      let main = require(job.program) as unknown;
      loaded = true;
      if (
        main &&
        typeof main === "object" &&
        Object.getOwnPropertyDescriptor(main, "default") &&
        (main as { __esModule?: boolean }).__esModule
      ) {
        main = (main as { default: unknown }).default;
      }
      const out = typeof main === "function" ? await (main as () => unknown)() : main;
      return out;
    });
    await (runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
  } catch (e) {
    if (invokeFailure)
      return { kind: "error", name: invokeFailure.name, message: invokeFailure.message, phase: "invoke" };
    const err = e as Error & { key?: unknown; problem?: unknown };
    return {
      kind: "error",
      name: err?.name ?? "Error",
      message: err?.message ?? String(e),
      phase: loaded ? "run" : "load",
      ...(err?.name === "ConfigError" && typeof err.key === "string" && typeof err.problem === "string"
        ? { config: { key: err.key, problem: err.problem } }
        : {}),
    };
  }
  if (invokeFailure)
    return { kind: "error", name: invokeFailure.name, message: invokeFailure.message, phase: "invoke" };
  return { kind: "result", resources, invokes };
}

function reply(r: RunReply): void {
  process.send!(r, () => process.exit(0));
}

if (require.main === module) {
  if (!process.send) {
    process.stderr.write("runner.js is started by `ami-guard preview`, not by hand\n");
    process.exit(2);
  }
  let failed = false;
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    const err = e as Error;
    reply({ kind: "error", name: err?.name ?? "Error", message: err?.message ?? String(e), phase: "run" });
  };
  // A program's stray rejection is a failed run, reported once, never a stack trace.
  process.on("unhandledRejection", fail);
  process.on("uncaughtException", fail);
  process.once("message", (job: RunJob) => {
    run(job).then((r) => {
      if (!failed) {
        failed = true;
        reply(r);
      }
    }, fail);
  });
}
