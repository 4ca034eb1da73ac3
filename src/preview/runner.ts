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
import { configList, type RunJob, type RunReply } from "./protocol";
import { recordRegistrations, UNKNOWN } from "./recorder";

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
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  };
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

  // Recorded when each request is made: the engine sees registrations in this order.
  const resources = recordRegistrations(pulumi);

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
