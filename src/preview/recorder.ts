/**
 * Records what a Pulumi program registers while it runs under `pulumi.runtime.setMocks`, as the engine would
 * receive it. The one recorder of the project: the offline preview's runner (`runner.ts`, preview semantics:
 * ids and computed outputs unknown) and the tests' mocks (`tests/helpers/mocks.ts`, realistic ids and outputs)
 * both install it; `tests/program/recorder-contract.spec.ts` proves that the two record a program alike.
 *
 * Each RegisterResource request is recorded when it is made (the order the engine sees), with its URN, type,
 * name, parent, provider, inputs in their wire form (unknowns as the engine's unknown marker, secrets as
 * secret objects), dependencies and options; the response's outputs (and `registerOutputs`) are filled in
 * when they arrive.
 */
import type { JsonObject } from "../analyzer/types";
import type { RegisteredResource } from "./protocol";

type PulumiModule = typeof import("@pulumi/pulumi");

/** The type of the root resource the Node.js language host runs a program in. */
export const ROOT_TYPE = "pulumi:pulumi:Stack";

/** The engine's marker for a value unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Struct {
  toJavaScript(): unknown;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getVersion(): string;
  getObject(): Struct | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

interface Monitor {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(
    req: RegisterRequest,
    cb: (err: unknown, res?: { getObject(): Struct | undefined }) => void,
  ): unknown;
  registerResourceOutputs(
    req: { getUrn(): string; getOutputs(): Struct | undefined },
    cb: (err: unknown, res?: unknown) => void,
  ): unknown;
}

function toJson(struct: Struct | undefined): JsonObject {
  return (struct ? struct.toJavaScript() : {}) as JsonObject;
}

/** A custom timeout as the SDK sends it (`"5m"`, `"30s"`, …) in seconds; undefined when unset. */
function seconds(s: string | undefined): number | undefined {
  const m = s ? /^([0-9.]+)(ms|s|m|h)?$/.exec(s) : null;
  if (!m) return undefined;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
}

/**
 * Wraps the mock monitor of `pulumi` (the module instance the program uses: mocks are installed on a module
 * instance) so that every registration is recorded. Call it after `setMocks`. Returns the live list.
 */
export function recordRegistrations(pulumi: PulumiModule): RegisteredResource[] {
  const resources: RegisteredResource[] = [];
  const byUrn = new Map<string, RegisteredResource>();
  const monitor = (pulumi.runtime as unknown as { getMonitor(): unknown }).getMonitor() as Monitor;
  const baseNewUrn = monitor.newUrn.bind(monitor);
  // The engine leaves the root stack's type out of its children's URNs.
  monitor.newUrn = (parent, type, name) => {
    const parentType = parent ? (parent.split("::")[2] ?? "").split("$").pop() : "";
    return baseNewUrn(parentType === ROOT_TYPE ? "" : parent, type, name);
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => {
      propertyDependencies[k] = v.getUrnsList();
    });
    const t = req.getCustomtimeouts();
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
      protect: req.getProtect() ?? false,
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
    return registerOutputs(req, cb);
  };
  return resources;
}

/**
 * Recorded wire-form values deserialised exactly as the Node.js SDK deserialises a resource's properties
 * (`deserializeProperties`: unknowns become undefined, absent keys stay absent).
 */
export function deserializeWire(pulumi: PulumiModule, wire: JsonObject): Record<string, unknown> {
  const struct = { toJavaScript: () => wire } as unknown as Parameters<
    PulumiModule["runtime"]["deserializeProperties"]
  >[0];
  return pulumi.runtime.deserializeProperties(struct) as Record<string, unknown>;
}
