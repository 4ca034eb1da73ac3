/**
 * Reading resource inputs exactly as the engine sends them: values unknown at preview, missing optional
 * fields, numbers and booleans as strings (Launch Templates), and @pulumi/policy's unknown-checking proxy.
 * Nothing here throws.
 */

/** The sentinels @pulumi/policy uses for values that are unknown during preview. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (the engine's own "unknown")
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bafd-b2ce4d1a1e1c", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

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
  try {
    const inner = (value as Record<string, unknown>)["__getSpecialProxyTarget"];
    if (inner && typeof inner === "object") target = inner;
  } catch {
    target = value;
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
