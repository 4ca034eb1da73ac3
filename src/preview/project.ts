/**
 * The Pulumi project and a stack's configuration, read the way the Pulumi CLI reads them: `Pulumi.yaml`
 * (name, main, stackConfigDir, the project's `config:` block) and `Pulumi.<stack>.yaml` in the stack config
 * directory. Every problem is a UserError naming the file and key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MAX_CONFIG_BYTES } from "ami-guard-policies/aws/files";
import { readInputDocument } from "../cli/files";
import { UserError } from "../cli/errors";

export interface Project {
  root: string;
  /** The path of Pulumi.yaml. */
  file: string;
  name: string;
  /** `main` from Pulumi.yaml, when set. */
  main?: string;
  /** Absolute stack config directory. */
  stackConfigDir: string;
  /** The project-level config values (`namespace:key` → value), defaults included. */
  config: Record<string, unknown>;
}

export interface StackConfig {
  stack: string;
  /** The stack file the values came from. */
  file: string;
  /** `namespace:key` → string, as the engine hands config to a program (objects and lists as JSON). */
  config: Record<string, string>;
  secretKeys: string[];
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

function readYaml(file: string, what: string): unknown {
  return readInputDocument(file, what, { maxBytes: MAX_CONFIG_BYTES, format: "yaml" }) ?? {};
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Finds the project: `dir` or the nearest parent holding Pulumi.yaml. */
export function findProjectRoot(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, "Pulumi.yaml")) || fs.existsSync(path.join(d, "Pulumi.yml"))) return d;
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function qualify(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Reads Pulumi.yaml at `root`. */
export function readProject(root: string): Project {
  const file = fs.existsSync(path.join(root, "Pulumi.yaml"))
    ? path.join(root, "Pulumi.yaml")
    : path.join(root, "Pulumi.yml");
  const doc = readYaml(file, "project file");
  if (!isRecord(doc) || typeof doc.name !== "string" || doc.name === "") {
    throw new UserError(`${rel(file)} has no project name (name:)`);
  }
  const name = doc.name;
  const config: Record<string, unknown> = {};
  if (doc.config !== undefined && doc.config !== null) {
    if (!isRecord(doc.config)) throw new UserError(`${rel(file)}: config must be a map`);
    for (const [k, v] of Object.entries(doc.config)) {
      const key = qualify(name, k);
      if (
        isRecord(v) &&
        ("value" in v || "default" in v || "type" in v || "description" in v || "secret" in v)
      ) {
        if ("value" in v) config[key] = v.value;
        else if ("default" in v) config[key] = v.default;
      } else {
        config[key] = v;
      }
    }
  }
  const main = typeof doc.main === "string" && doc.main !== "" ? doc.main : undefined;
  const dir = typeof doc.stackConfigDir === "string" && doc.stackConfigDir !== "" ? doc.stackConfigDir : ".";
  return { root, file, name, main, stackConfigDir: path.resolve(root, dir), config };
}

/** The stacks that have a stack file, sorted. */
export function knownStacks(project: Project): string[] {
  try {
    return fs
      .readdirSync(project.stackConfigDir)
      .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
  } catch {
    return [];
  }
}

function asConfigString(value: unknown, key: string, file: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "";
  const hasSecure = (v: unknown): boolean =>
    Array.isArray(v)
      ? v.some(hasSecure)
      : isRecord(v)
        ? "secure" in v || Object.values(v).some(hasSecure)
        : false;
  if (hasSecure(value)) {
    throw new UserError(
      `${rel(file)}: ${key} is a secret; ami-guard preview cannot decrypt secrets offline (use --config-file with a copy that holds a placeholder value)`,
    );
  }
  return JSON.stringify(value);
}

/**
 * A stack's config: the project's `config:` values overlaid with the stack file's. `configFile` replaces the
 * stack file (as `pulumi preview --config-file` does).
 */
export function readStackConfig(project: Project, stack: string, configFile?: string): StackConfig {
  if (!STACK_NAME.test(stack)) {
    throw new UserError(`invalid stack name ${JSON.stringify(stack)}: use letters, digits, '-', '_' or '.'`);
  }
  let file: string;
  if (configFile) {
    file = path.resolve(configFile);
  } else {
    file = path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file) && fs.existsSync(path.join(project.stackConfigDir, `Pulumi.${stack}.yml`))) {
      file = path.join(project.stackConfigDir, `Pulumi.${stack}.yml`);
    }
    if (!fs.existsSync(file)) {
      const known = knownStacks(project);
      throw new UserError(
        `unknown stack ${JSON.stringify(stack)}: there is no ${rel(file)}${known.length ? ` (stacks: ${known.join(", ")})` : ""}`,
      );
    }
  }
  const doc = readYaml(file, "stack file");
  if (!isRecord(doc)) throw new UserError(`${rel(file)} must be a map with a config: block`);
  const stackValues = doc.config ?? {};
  if (!isRecord(stackValues)) throw new UserError(`${rel(file)}: config must be a map`);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.config)) config[k] = asConfigString(v, k, project.file);
  for (const [k, v] of Object.entries(stackValues)) {
    const key = qualify(project.name, k);
    config[key] = asConfigString(v, key, file);
  }
  return { stack, file, config, secretKeys: [] };
}

/**
 * The program's entry module. Running compiled (`dist/`), the compiled program is preferred so no TypeScript
 * tool is needed at run time; running from source, the TypeScript entry is preferred so it is never stale.
 */
export function resolveProgram(project: Project, preferCompiled: boolean): string {
  let main = project.main;
  if (!main) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(project.root, "package.json"), "utf8")) as {
        main?: string;
      };
      main = pkg.main;
    } catch {
      main = undefined;
    }
  }
  const base = path.resolve(project.root, main ?? "index").replace(/\.(ts|js)$/, "");
  const compiled = [path.join(project.root, "dist", `${path.relative(project.root, base)}.js`), `${base}.js`];
  const candidates = preferCompiled ? [...compiled, `${base}.ts`] : [`${base}.ts`, ...compiled];
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (!found) {
    throw new UserError(
      `cannot find the program of ${rel(project.file)} (looked for ${[...new Set(candidates)].map(rel).join(", ")}): run \`npm run build\` first`,
    );
  }
  return found;
}
