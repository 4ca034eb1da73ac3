/**
 * Lets the runtime read every property value the engine's wire format can carry. @pulumi/policy's
 * deserialiser (deserialize.js) knows secrets, assets and archives, and throws on resource references and
 * output values ("Unrecognized signature"), which fails the whole Analyze call before any policy runs. The
 * engine normally downgrades them, but other drivers (and future engines) may not: so the pack downgrades
 * them itself, exactly as the engine's `MarshalProperties` does without `KeepResources` / `KeepOutputValues`:
 * a resource reference becomes its id (or its URN for a component), an output value becomes its value (a
 * secret stays a secret) or the unknown sentinel when it has none. A secret AMI id is still an AMI id.
 */

import { isUnknown } from "../rules/values";

/** Pulumi's wire signatures (@pulumi/pulumi runtime/rpc.js). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
/** The engine's "unknown" (a string unknown at preview). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

/**
 * A deserialised Struct's value with resource references and output values downgraded. Never throws. A value
 * with nothing to downgrade (the usual case) is returned as it is, not copied.
 */
export function downgrade(value: unknown, depth = 0): unknown {
  if (depth > 64) return UNKNOWN_OBJECT;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = downgrade(value[i], depth + 1);
      if (out === undefined && v !== value[i]) out = value.slice(0, i);
      if (out !== undefined) out.push(v);
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === undefined) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(obj)) {
      const v = downgrade(obj[k], depth + 1);
      if (out === undefined && v !== obj[k]) out = { ...obj };
      if (out !== undefined) out[k] = v;
    }
    return out ?? obj;
  }
  switch (sig) {
    case SECRET_SIG: {
      const inner = downgrade(obj.value, depth + 1);
      return inner === obj.value ? obj : { [SIG_KEY]: SECRET_SIG, value: inner };
    }
    case ASSET_SIG:
    case ARCHIVE_SIG:
      return obj;
    case RESOURCE_SIG: {
      // A custom resource: its id ("" or the unknown sentinel while it is being created); a component: its URN.
      if (typeof obj.id === "string") return obj.id === "" ? UNKNOWN_STRING : obj.id;
      return typeof obj.urn === "string" ? obj.urn : UNKNOWN_STRING;
    }
    case OUTPUT_SIG: {
      if (!("value" in obj) || obj.value === undefined) return UNKNOWN_STRING;
      const inner = downgrade(obj.value, depth + 1);
      return obj.secret === true ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner;
    }
    default:
      // A signature this runtime does not know: a value the pack cannot read now.
      return UNKNOWN_OBJECT;
  }
}

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}

let installed = false;

/**
 * The runtime deserialises a request's properties again for every policy (and the provider's too): each
 * `validateResource` gets a fresh copy (@pulumi/policy server.js, makeAnalyzeRpcFun). A request's Struct is one
 * object for the life of the request (protobuf caches its wrapper fields), so the first policy's copy is kept,
 * per Struct, and handed to the others: one deserialisation per Analyze instead of one per policy. The shared
 * copy is frozen (its plain objects and arrays), so no policy can change what the next one reads: the pack's
 * policies never write to it (they read through values.ts `plain`, which copies), and a write would throw and
 * fail closed. Copies with secrets kept as proxies (remediations) are not shared.
 */
const perStruct = new WeakMap<object, unknown>();

/** The values the runtime deserialised for one request's properties (see {@link requestValue}). */
const requestValues = new WeakSet<object>();

/**
 * True when `value` is the runtime's deserialised copy of one request's properties, shared by that request's
 * policies: a key for memos that must not outlive the request.
 */
export function requestValue(value: unknown): value is object {
  return value !== null && typeof value === "object" && requestValues.has(value);
}

/** Freezes the plain objects and arrays of a deserialised value (class instances such as assets are left be). */
function freezeData(value: unknown, depth = 0): void {
  if (depth > 64 || value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  Object.freeze(value);
  for (const v of Object.values(value as object)) freezeData(v, depth + 1);
}

/** What a scan of a request's values found (see {@link freezeIfData}). */
const DATA = 0;
const DATA_WITH_UNKNOWNS = 1;
const NOT_DATA = 2;

/**
 * Scans a value as the protobuf Struct gave it (a fresh copy, the pack's own), freezing its objects and arrays in
 * place, and tells what it holds: plain JSON data only, data with some of the runtime's unknown sentinels, or
 * something else (a signature key, which the runtime deserialises, or nesting deeper than 64), which stops the
 * scan.
 */
function freezeIfData(value: unknown, depth: number): number {
  if (typeof value === "string") return isUnknown(value) ? DATA_WITH_UNKNOWNS : DATA;
  if (value === null || typeof value !== "object") return DATA;
  if (depth > 64) return NOT_DATA;
  let found = DATA;
  if (Array.isArray(value)) {
    for (const v of value) {
      const f = freezeIfData(v, depth + 1);
      if (f === NOT_DATA) return NOT_DATA;
      if (f > found) found = f;
    }
  } else {
    if (SIG_KEY in value) return NOT_DATA;
    for (const k of Object.keys(value)) {
      const f = freezeIfData((value as Record<string, unknown>)[k], depth + 1);
      if (f === NOT_DATA) return NOT_DATA;
      if (f > found) found = f;
    }
  }
  Object.freeze(value);
  return found;
}

/**
 * Request values that hold plain JSON data only (no unknowns, secrets, assets or references): each is already
 * what values.ts `plain` would copy it to, frozen, and policies may read it as it is.
 */
const plainValues = new WeakSet<object>();

/** True when `value` is a request's value that is plain, frozen JSON data (see {@link plainValues}). */
export function isPlainRequestValue(value: object): boolean {
  return plainValues.has(value);
}

/** Wraps the runtime's deserialiser once per process so that it is handed downgraded values. */
export function installWireCompatibility(): void {
  if (installed) return;
  installed = true;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("@pulumi/policy/deserialize") as {
      deserializeProperties(s: StructLike, proxySecrets: boolean): unknown;
    };
    const original = mod.deserializeProperties;
    const deserialize = (struct: StructLike, proxySecrets: boolean, read?: Record<string, unknown>) => {
      let plainValue: Record<string, unknown>;
      try {
        plainValue = downgrade(read ?? struct.toJavaScript()) as Record<string, unknown>;
      } catch {
        return original(struct, proxySecrets);
      }
      return original({ toJavaScript: () => plainValue }, proxySecrets);
    };
    mod.deserializeProperties = (struct: StructLike, proxySecrets: boolean) => {
      if (proxySecrets || struct === null || typeof struct !== "object")
        return deserialize(struct, proxySecrets);
      if (perStruct.has(struct)) return perStruct.get(struct);
      // A Struct's JavaScript value without a signature anywhere is exactly what the runtime's deserialiser would
      // copy it to (it only rebuilds objects and arrays, and replaces signed values): it is kept, frozen, and
      // spared the runtime's copy. Anything else goes through the downgrade and the runtime's deserialiser.
      let read: Record<string, unknown> | undefined;
      let found = NOT_DATA;
      try {
        read = struct.toJavaScript();
        if (read !== null && typeof read === "object" && !Array.isArray(read)) found = freezeIfData(read, 0);
      } catch {
        read = undefined;
      }
      let value: unknown;
      if (read !== undefined && found !== NOT_DATA) {
        value = read;
        if (found === DATA) plainValues.add(read);
      } else {
        value = deserialize(struct, proxySecrets, read);
        freezeData(value);
      }
      perStruct.set(struct, value);
      if (value !== null && typeof value === "object") requestValues.add(value);
      return value;
    };
  } catch {
    // A runtime without this module: nothing to adapt.
  }
}
