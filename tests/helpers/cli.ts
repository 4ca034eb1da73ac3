/**
 * `ami-guard` in this process: its exported `main` with stdout and stderr captured (neither a terminal, so no
 * progress bar and a fixed table width), and the compiled CLI's freshness check. Starting the CLI as a process
 * costs a Node start, the loader and the CLI's imports each time; the specs keep a few process starts to prove the
 * binary's wiring (exit codes, stdout and stderr apart) and run the rest through `main`, which returns the exit
 * code the process would exit with.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What tsc -p tsconfig.build.json compiles into dist/ (its `include`). */
const BUILT_SOURCES = ["index.ts", "components", "config", "src"];
let builtChecked = false;

/**
 * Fails with a clear message when the compiled CLI (`dist/`, `npm run build`; `npm ci` does it) is missing or
 * older than a source file it is compiled from: a spec that runs the compiled CLI must not pass on stale code.
 */
export function requireBuiltCli(): void {
  if (builtChecked) return;
  const stale: string[] = [];
  const visit = (rel: string): void => {
    const file = path.join(REPO, rel);
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(rel, entry));
    } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
      const out = path.join(REPO, "dist", rel.replace(/\.ts$/, ".js"));
      if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < stat.mtimeMs) stale.push(rel);
    }
  };
  for (const rel of BUILT_SOURCES) visit(rel);
  if (stale.length > 0) {
    throw new Error(
      `dist/ is missing or older than ${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ` and ${stale.length - 3} more` : ""}: run \`npm run build\` (npm ci does it) before the tests`,
    );
  }
  builtChecked = true;
}

/** Sets `env` in this process's environment (undefined removes a variable); returns the restorer. */
export function withEnv(env: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Runs one command line through `main`, capturing what it writes to stdout and stderr. */
export async function captureMain(
  main: (argv: string[]) => Promise<number>,
  args: string[],
): Promise<CliRun & { code: number }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tty = { out: process.stdout.isTTY, err: process.stderr.isTTY };
  process.stdout.isTTY = false; // the audit's table is then 100 columns wide, as in the goldens
  process.stderr.isTTY = false; // no progress bar, as when the CLI's stderr is not a terminal
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.stdout.isTTY = tty.out;
    process.stderr.isTTY = tty.err;
  }
}

/**
 * Runs `ami-guard` in this process with `env` added to the environment for the run: from source
 * (src/cli/ami-guard.ts), or `compiled` (dist/, as the `ami-guard` binary runs; its program runner then starts
 * compiled too, without a TypeScript loader).
 */
export async function runMain(
  args: string[],
  opts: { env?: Record<string, string | undefined>; compiled?: boolean } = {},
): Promise<CliRun & { code: number }> {
  if (opts.compiled) requireBuiltCli();
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use: most specs never run the CLI */
  const { main } = (
    opts.compiled
      ? require(path.join(REPO, "dist", "src", "cli", "ami-guard.js"))
      : require("../../src/cli/ami-guard")
  ) as typeof import("../../src/cli/ami-guard");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const restore = withEnv(opts.env ?? {});
  try {
    return await captureMain(main, args);
  } finally {
    restore();
  }
}
