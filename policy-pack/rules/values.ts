/**
 * Reading resource inputs exactly as the engine sends them: values unknown at preview, missing optional
 * fields, numbers and booleans as strings (Launch Templates), and @pulumi/policy's unknown-checking proxy.
 * Nothing here throws.
 */

import { types } from "node:util";

// The runtime's own sentinels and proxy keys (internal to @pulumi/policy, so not in its typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require("@pulumi/policy/proxy") as Record<string, unknown>;

/** The sentinels @pulumi/policy uses for values that are unknown during preview, read from the runtime. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set(
  [
    "unknownBooleanValue",
    "unknownNumberValue",
    "unknownStringValue",
    "unknownArrayValue",
    "unknownAssetValue",
    "unknownArchiveValue",
    "unknownObjectValue",
  ]
    .map((k) => runtime[k])
    .filter((v): v is string => typeof v === "string"),
);

/** The runtime proxy's key that hands out the proxied object (only its own proxies answer it). */
const PROXY_TARGET =
  typeof runtime.getSpecialProxyTarget === "string"
    ? runtime.getSpecialProxyTarget
    : "__getSpecialProxyTarget";

/** A value that is not known until the update runs. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN || (typeof value === "string" && UNKNOWN_SENTINELS.has(value));
}

/**
 * Returns a plain deep copy of `props` with @pulumi/policy's unknown-checking proxy removed and every unknown
 * value replaced by {@link UNKNOWN}, so that reading it can never throw.
 */
export function plain(props: unknown): unknown {
  return strip(props, 0);
}

function strip(value: unknown, depth: number): unknown {
  if (depth > 64) return undefined;
  if (isUnknown(value)) return UNKNOWN;
  if (value === null || typeof value !== "object") return value;
  let target: unknown = value;
  // Only a real Proxy (the runtime's unknown-checking or secret-preserving proxy) is unwrapped; a plain
  // object that merely carries the key (an input of the program) is data and is read as it is.
  if (types.isProxy(value)) {
    try {
      const inner = (value as Record<string, unknown>)[PROXY_TARGET];
      if (inner && typeof inner === "object") target = inner;
    } catch {
      target = value;
    }
  }
  if (Array.isArray(target)) return target.map((v) => strip(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(target as object)) {
    out[key] = strip((target as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}

/** A record view of an arbitrary value (an empty record for anything that is not a plain object). */
export function rec(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A string, UNKNOWN, or undefined for missing or non-string values (numbers are kept as text). */
export function str(value: unknown): string | Unknown | undefined {
  if (isUnknown(value)) return UNKNOWN;
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A boolean, reading "true"/"false" strings as the engine sends them for Launch Templates. */
export function bool(value: unknown): boolean | Unknown | undefined {
  if (isUnknown(value)) return UNKNOWN;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return undefined;
}

/** A list: arrays as they are, a single object as a one-element list, UNKNOWN or an empty list otherwise. */
export function list(value: unknown): unknown[] | Unknown {
  if (isUnknown(value)) return UNKNOWN;
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return [value];
  return [];
}

/** A string list; UNKNOWN when the list or any item is unknown. Non-string items are dropped. */
export function strList(value: unknown): string[] | Unknown {
  const l = list(value);
  if (l === UNKNOWN) return UNKNOWN;
  const out: string[] = [];
  for (const item of l) {
    const s = str(item);
    if (s === UNKNOWN) return UNKNOWN;
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** A tag map; UNKNOWN when the map itself is unknown. Unknown values are kept as UNKNOWN entries. */
export function tags(value: unknown): Record<string, string | Unknown> | Unknown {
  if (isUnknown(value)) return UNKNOWN;
  const out: Record<string, string | Unknown> = {};
  for (const [k, v] of Object.entries(rec(value))) {
    const s = isUnknown(v)
      ? UNKNOWN
      : typeof v === "string"
        ? v
        : v === undefined || v === null
          ? undefined
          : String(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}
