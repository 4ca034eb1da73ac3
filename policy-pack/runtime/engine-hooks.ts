/**
 * Watches the engine configure the pack, without changing how @pulumi/policy answers. `Configure` carries each
 * policy's enforcement level and properties; `ConfigureStack` comes only when the engine is about to analyze a
 * stack's resources, and the engine then runs the program, sending the first `Analyze` only when the program
 * registers its first resource (pulumi/pulumi's analyzer protocol, proto/pulumi/analyzer.proto). Work that would
 * otherwise fall on the first `Analyze` is started a moment after `ConfigureStack` has been answered, while the
 * program runs: off the critical path. Start-up (up to `GetAnalyzerInfo`) is never touched.
 *
 * The hook wraps the request deserialisers of those two methods in the Analyzer service definition that
 * @pulumi/policy serves (@pulumi/pulumi's proto/analyzer_grpc_pb, resolved from @pulumi/policy), before the
 * PolicyPack is made. Anything unexpected (another runtime layout) leaves the pack as it was: nothing is
 * watched, and the work falls on the first `Analyze` as before.
 */
import { createRequire } from "node:module";

/** One policy's configuration as the engine sent it. */
export interface EngineConfig {
  enforcementLevel: string;
  properties: Record<string, unknown>;
}

interface MethodDefinition {
  requestDeserialize(bytes: Buffer): unknown;
}

interface ConfigureRequest {
  getPolicyconfigMap(): {
    entries(): Iterable<
      [string, { getEnforcementlevel(): number; getProperties(): { toJavaScript(): unknown } | undefined }]
    >;
  };
}

let configured: Map<string, EngineConfig> | undefined;
let watching = false;

/** Each policy's configuration as the engine last sent it with `Configure`; undefined before (or unread). */
export function engineConfig(): ReadonlyMap<string, EngineConfig> | undefined {
  return configured;
}

/**
 * Calls `onStackConfigured` once, `pauseMs` after the engine's first `ConfigureStack` (so that its answer is on
 * the wire first), and records each `Configure`. Returns false when the runtime could not be watched. The
 * timer does not keep the process alive.
 */
export function watchEngine(onStackConfigured: () => void, pauseMs = 50): boolean {
  if (watching) return true;
  let service: Record<string, MethodDefinition | undefined> | undefined;
  let convert: ((level: number) => string) | undefined;
  try {
    const fromPolicy = createRequire(require.resolve("@pulumi/policy"));
    service = (fromPolicy("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerService?: typeof service })
      .AnalyzerService;
    convert = (fromPolicy("@pulumi/policy/protoutil") as { convertEnforcementLevel?: typeof convert })
      .convertEnforcementLevel;
  } catch {
    return false;
  }
  const configure = service?.configure;
  const configureStack = service?.configureStack;
  if (
    !configure ||
    !configureStack ||
    typeof configure.requestDeserialize !== "function" ||
    typeof configureStack.requestDeserialize !== "function"
  )
    return false;
  watching = true;

  const readConfigure = configure.requestDeserialize;
  configure.requestDeserialize = (bytes: Buffer) => {
    const req = readConfigure(bytes);
    try {
      const out = new Map<string, EngineConfig>();
      for (const [name, c] of (req as ConfigureRequest).getPolicyconfigMap().entries()) {
        const props = c.getProperties()?.toJavaScript();
        out.set(name, {
          enforcementLevel: convert ? convert(c.getEnforcementlevel()) : String(c.getEnforcementlevel()),
          properties: props && typeof props === "object" ? (props as Record<string, unknown>) : {},
        });
      }
      configured = out;
    } catch {
      configured = undefined; // unread: as if not configured
    }
    return req;
  };

  let started = false;
  const readConfigureStack = configureStack.requestDeserialize;
  configureStack.requestDeserialize = (bytes: Buffer) => {
    if (!started) {
      started = true;
      setTimeout(() => {
        try {
          onStackConfigured();
        } catch {
          // the work is an optimisation only: the first Analyze does it again and reports any failure
        }
      }, pauseMs).unref();
    }
    return readConfigureStack(bytes);
  };
  return true;
}
