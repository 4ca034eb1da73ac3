/**
 * Every file a user hands `ami-guard` (`preview --inventory`, `--policy-pack-config`, `--config-file`, and
 * `audit --config`) is read through one bounded reader: only a regular file of sane size (a FIFO must not hang
 * the CLI, /dev/zero must not be read without end), and a parse error never echoes the file's contents. Each
 * refusal is one line and exit code 2. The FIFO and /dev/zero cases run the compiled CLI as a child process, so
 * that a hang or an endless read is a failed test, not a stuck suite; the others run `main` in-process (from
 * source, or compiled when the program runs: its runner then starts without a TypeScript loader).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MAX_CONFIG_BYTES, MAX_INVENTORY_BYTES } from "../../policy-pack/aws/files";
import { type CliRun, REPO, runCli as spawnCli, scaled } from "../helpers/engine";
import { runMain } from "../helpers/cli";
import { runCli as mainCli, sdkEnv } from "../audit/support";

const SECRET = "hunter2-do-not-print";
const posix = process.platform !== "win32";

/** The CLI refused with exit 2, one line on stderr, nothing on stdout, no stack trace, no file contents. */
function refused(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit 2 expected: ${run.stderr}`);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /^ami-guard: [^\n]+\n$/, `one line: ${JSON.stringify(run.stderr)}`);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, new RegExp(SECRET), "the file's contents are not echoed");
}

// Each guarded input: the arguments that hand it `file`, and how its message names it.
const INPUTS: { flag: string; args: (file: string) => string[]; what: string }[] = [
  {
    flag: "preview --inventory",
    args: (f) => ["preview", "--stack", "dev", "--inventory", f],
    what: "inventory",
  },
  {
    flag: "preview --policy-pack-config",
    args: (f) => ["preview", "--stack", "dev", "--policy-pack-config", f],
    what: "policy pack config",
  },
  {
    flag: "preview --config-file",
    args: (f) => ["preview", "--stack", "dev", "--config-file", f],
    what: "stack file",
  },
  {
    flag: "audit --config",
    args: (f) => ["audit", "--region", "us-east-1", "--config", f],
    what: "policy pack config",
  },
];

describe("ami-guard input files: regular files of sane size, parse errors without contents (exit 2)", function () {
  this.timeout(scaled(120_000));
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-input-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };
  // No AWS call may be made for bad input: point the SDK nowhere.
  const env = { AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_REGION: "us-east-1", AWS_MAX_ATTEMPTS: "1" };
  const spawned = (args: string[]) => spawnCli(args, { env, compiled: true, timeoutMs: 30_000 });
  const cli = async (args: string[], opts: { compiled?: boolean } = {}): Promise<CliRun> => {
    const restore = sdkEnv(env);
    try {
      return await (opts.compiled ? runMain(args, opts) : mainCli(args));
    } finally {
      restore();
    }
  };

  for (const input of INPUTS) {
    describe(input.flag, () => {
      (posix ? it : it.skip)("refuses a FIFO at once instead of waiting for a writer", async () => {
        const fifo = path.join(tmp, `${input.flag.replace(/[ -]+/g, "-")}.fifo`);
        execFileSync("mkfifo", [fifo]);
        refused(
          await spawned(input.args(fifo)),
          new RegExp(`cannot read ${input.what} .*\\.fifo: it is not a regular file \\(a FIFO\\)`),
        );
      });

      (posix ? it : it.skip)("refuses /dev/zero instead of reading it without end", async () => {
        refused(
          await spawned(input.args("/dev/zero")),
          new RegExp(
            `cannot read ${input.what} /dev/zero: it is not a regular file \\(a character device\\)`,
          ),
        );
      });

      it("refuses a directory", async () => {
        refused(
          await cli(input.args(tmp)),
          new RegExp(`cannot read ${input.what} .*: it is not a regular file \\(a directory\\)`),
        );
      });

      it("refuses a file over its size bound", async () => {
        const big = path.join(tmp, `${input.flag.replace(/[ -]+/g, "-")}-big.json`);
        const bound = input.what === "inventory" ? MAX_INVENTORY_BYTES : MAX_CONFIG_BYTES;
        fs.writeFileSync(big, "");
        fs.truncateSync(big, bound + 1); // sparse: no disk used
        refused(
          await cli(input.args(big)),
          new RegExp(`cannot read ${input.what} .*-big\\.json: it is larger than ${bound / 1024 / 1024} MiB`),
        );
      });
    });
  }

  describe("parse errors name the file and where, never what it holds", () => {
    it("preview --inventory: JSON", async () => {
      const f = write("inv.json", `{"Images": [{"ImageId": "ami-1", "Name": ${SECRET}}]}`);
      refused(
        await cli(["preview", "--stack", "dev", "--inventory", f]),
        /inv\.json is not valid JSON \(syntax error/,
      );
    });

    it("preview --policy-pack-config: JSON", async () => {
      const f = write("pack.json", `${SECRET}`);
      refused(
        await cli(["preview", "--stack", "dev", "--policy-pack-config", f]),
        /pack\.json is not valid JSON \(syntax error\)/,
      );
    });

    it("preview --config-file: YAML, an alias the file never anchors and an unknown tag", async () => {
      const alias = write("Pulumi.alias.yaml", `config:\n  ami-guard:environment: *${SECRET}\n`);
      refused(
        await cli(["preview", "--stack", "dev", "--config-file", alias]),
        /Pulumi\.alias\.yaml is not valid YAML \(an alias without its anchor/,
      );
      const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
      const tagged = write(
        "Pulumi.tag.yaml",
        dev.replace(/ami-guard:amiMaxAgeDays: .*/, `ami-guard:amiMaxAgeDays: !${SECRET} zero`),
      );
      refused(
        await cli(["preview", "--stack", "dev", "--config-file", tagged]),
        /Invalid configuration ami-guard:amiMaxAgeDays in .*Pulumi\.tag\.yaml/,
      );
    });

    it("audit --config: JSON", async () => {
      const json = write("audit.json", `{"ec2-ami-require-tags": {"requiredTags": [${SECRET}]}}`);
      refused(
        await cli(["audit", "--region", "us-east-1", "--config", json]),
        /audit\.json is not valid JSON \(syntax error\)/,
      );
    });

    it("a policy pack config in YAML, for the audit and the preview: refused by name, never read", async () => {
      const yaml = write("pack.yaml", `ec2-ami-require-tags: *${SECRET}\n`);
      const pattern =
        /pack\.yaml: the policy pack config is JSON, as pulumi preview --policy-pack-config reads it; YAML is not accepted/;
      refused(await cli(["audit", "--region", "us-east-1", "--config", yaml]), pattern);
      refused(await cli(["preview", "--stack", "dev", "--policy-pack-config", yaml]), pattern);
    });
  });

  describe("a config error names the file given with --config-file", () => {
    it("our own stacks: the stack file given, not stacks/Pulumi.<stack>.yaml", async () => {
      const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
      const f = write(
        "my-dev.yaml",
        dev.replace(/ami-guard:amiMaxAgeDays: .*/, 'ami-guard:amiMaxAgeDays: "zero"'),
      );
      const run = await cli(["preview", "--stack", "dev", "--config-file", f]);
      refused(run, /Invalid configuration ami-guard:amiMaxAgeDays in \S*my-dev\.yaml: /);
      assert.doesNotMatch(run.stderr, /stacks\/Pulumi\.dev\.yaml/);
    });

    it("our own program run with --policy-pack-config: the stack file given", async () => {
      const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
      const f = write(
        "my-dev2.yaml",
        dev.replace(/ami-guard:amiMaxAgeDays: .*/, 'ami-guard:amiMaxAgeDays: "zero"'),
      );
      const pack = write("pack-ok.json", "{}");
      const run = await cli(["preview", "--stack", "dev", "--config-file", f, "--policy-pack-config", pack], {
        compiled: true,
      });
      refused(run, /Invalid configuration ami-guard:amiMaxAgeDays in \S*my-dev2\.yaml: /);
      assert.doesNotMatch(run.stderr, /stacks\/Pulumi\.dev\.yaml/);
    });
  });
});
