/**
 * What the config table (config/schema.ts) says, written out for Pulumi and for people: the `Pulumi.yaml`
 * `config:` block (the rows with a default) and docs/configuration.md. `npm run docs:config` writes both
 * (config/write-docs.ts); tests/program/config-schema.spec.ts fails when either file is stale.
 */
import { CONFIG_KEYS, CONFIG_SCHEMA, NAMESPACE, OTHER_KEYS, REFINEMENTS } from "./schema";
import { PRACTICES, type KeySpec } from "./spec";

/** One entry of the `Pulumi.yaml` `config:` block. */
export interface ProjectConfigEntry {
  readonly type: "string" | "integer" | "boolean" | "array";
  readonly items?: { readonly type: "string" };
  readonly description: string;
  readonly default: unknown;
}

/** The `config:` block of `Pulumi.yaml`: every row with a default, in the table's order. */
export function projectConfigBlock(): Record<string, ProjectConfigEntry> {
  const out: Record<string, ProjectConfigEntry> = {};
  for (const key of CONFIG_KEYS) {
    const spec: KeySpec = CONFIG_SCHEMA[key];
    if (spec.default === undefined) continue;
    const type =
      spec.type === "list"
        ? "array"
        : spec.type === "integer" || spec.type === "boolean"
          ? spec.type
          : "string";
    out[`${NAMESPACE}:${key}`] = {
      type,
      ...(type === "array" ? { items: { type: "string" } } : {}),
      description: spec.description,
      default: Array.isArray(spec.default) ? [...spec.default] : spec.default,
    };
  }
  return out;
}

/** Markdown table cell: pipes escaped; `*` and `<` escaped outside code spans. */
function cell(text: string): string {
  return text
    .split("`")
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\*/g, "\\*").replace(/</g, "&lt;")))
    .join("`")
    .replace(/\|/g, "\\|");
}

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

function constraint(spec: KeySpec): string {
  switch (spec.type) {
    case "string":
      return spec.valid.what;
    case "enum":
      return spec.values.map(code).join(" | ");
    case "integer":
      return spec.allowed
        ? `${spec.allowed.what}: ${spec.allowed.values.join(", ")}`
        : `${spec.min}-${spec.max}`;
    case "boolean":
      return "`true` | `false`";
    case "list":
      return [
        `each ${spec.item.what}`,
        "no repeats",
        ...(spec.nonEmpty ? ["at least one"] : []),
        ...(spec.mustInclude
          ? [`must include ${code(spec.mustInclude.item)} (${spec.mustInclude.because})`]
          : []),
      ].join("; ");
    case "map":
      return `object: ${spec.what}`;
  }
}

function defaultOf(spec: KeySpec): string {
  if (spec.default !== undefined) return code(spec.default);
  if ("whenUnset" in spec && spec.whenUnset !== undefined) return `optional (unset: ${code(spec.whenUnset)})`;
  return "required";
}

/** docs/configuration.md, whole. */
export function configurationDoc(): string {
  const rows = CONFIG_KEYS.map((key) => {
    const spec: KeySpec = CONFIG_SCHEMA[key];
    const type = spec.type === "enum" ? "string" : spec.type === "map" ? "object" : spec.type;
    return [
      code(key),
      type,
      constraint(spec),
      defaultOf(spec),
      spec.scope ? spec.scope.roles.join(", ") : "every stack",
      spec.practice === undefined ? "—" : `${spec.practice}. ${PRACTICES[spec.practice]}`,
      spec.secret ? "yes" : "no",
      spec.description,
    ].map(cell);
  });
  const other = Object.entries(OTHER_KEYS).map(([key, k]) =>
    [code(key), k.type, k.constraint, k.description].map(cell),
  );
  const table = (head: string[], body: string[][]) =>
    [
      `| ${head.join(" | ")} |`,
      `| ${head.map(() => "---").join(" | ")} |`,
      ...body.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
  return [
    "<!-- Generated from config/schema.ts by `npm run docs:config`: edit the table there, not this file. -->",
    "",
    "# Stack configuration (`stacks/Pulumi.<env>.yaml`)",
    "",
    `Every key below lives in the \`${NAMESPACE}:\` namespace. One table in \`config/schema.ts\` describes`,
    "each key; the program's types, its validation (`config/parse.ts`, `parseConfig`), the `config:` block of",
    "`Pulumi.yaml` and this page are derived from it. Validation runs before any resource is declared: a",
    "missing, malformed or unknown key throws a `ConfigError` (a `pulumi.RunError`, printed without a stack",
    "trace) that names the key and `stacks/Pulumi.<stack>.yaml`; the CLI exits with code 2 on it.",
    "",
    "A key with a default is declared in `Pulumi.yaml`, which gives the value when a stack file leaves the",
    "key out. A required key must be set in every stack file whose `accountRole` reads it (column",
    '"Read by"); a key without a default that the role does not read must not be set. Lists and objects are',
    "written as YAML lists and maps (the engine passes them as JSON text).",
    "",
    table(["Key", "Type", "Valid values", "Default", "Read by", "Practice", "Secret", "Description"], rows),
    "",
    "## Rules across keys",
    "",
    "Checked after every key is valid on its own, in this order; each names the key it reports:",
    "",
    ...REFINEMENTS.map((r) => `- \`${r.key}\`: ${r.rule}`),
    "",
    "## Keys of other namespaces",
    "",
    table(["Key", "Type", "Valid values", "Description"], other),
    "",
    "The account ids, organization and OU in the shipped stacks are documentation placeholders. Replace them,",
    "and the principal ARNs, with your own before running `pulumi up`. What each environment gets, and how to",
    "deploy: [docs/deploy.md](deploy.md).",
    "",
  ].join("\n");
}
