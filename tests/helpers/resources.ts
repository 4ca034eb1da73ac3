/**
 * Builds resource inputs from the pack's resource table, so tests cover every listed type and path.
 */
import { AMI_TABLE, type AmiProperty } from "../../policy-pack/rules/resources";

/** Inputs of `type` holding `value` at `prop.path` (lists get one element), with its `where` and `when` set. */
export function propsAt(type: string, prop: AmiProperty, value: unknown): Record<string, unknown> {
  const segments = prop.path.split(".");
  const build = (i: number): unknown => {
    if (i === segments.length) return value;
    const seg = segments[i];
    const isList = seg.endsWith("[]");
    const key = isList ? seg.slice(0, -2) : seg;
    const holder: Record<string, unknown> = { [key]: isList ? [build(i + 1)] : build(i + 1) };
    if (i === segments.length - 1 && prop.where) Object.assign(holder, prop.where);
    return holder;
  };
  const out = build(0) as Record<string, unknown>;
  const t = AMI_TABLE[type];
  if (t.when) out[t.when.path] = t.when.equals;
  return out;
}

/** Every (type, property) of the table with one of `roles`. */
export function tableRows(roles: readonly string[]): { type: string; prop: AmiProperty }[] {
  const out: { type: string; prop: AmiProperty }[] = [];
  for (const [type, t] of Object.entries(AMI_TABLE)) {
    for (const prop of t.properties) if (roles.includes(prop.role)) out.push({ type, prop });
  }
  return out;
}
