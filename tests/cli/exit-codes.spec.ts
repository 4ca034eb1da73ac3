/**
 * Every command's action returns its exit code to `main` (no process-wide exit code set deep inside); and the
 * one progress bar: drawn only on a terminal, cleared when the work ends, failed or not.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { auditAction, type AuditFlags } from "../../src/audit/command";
import { EXIT } from "../../src/cli/errors";
import { withProgress } from "../../src/cli/progress";
import { startEc2Server, type Ec2Server } from "../../testing/ec2-server";
import { requireBuiltCli } from "../helpers/cli";
import { REPO } from "../helpers/engine";
import { ACCOUNT, NOW, scenario } from "../fixtures/audit/scenario";
import { sdkEnv } from "../audit/support";
import { ROUTES, worldHandlers } from "../../testing/world";

const CONFIG = path.join(REPO, "tests", "fixtures", "audit", "pack-config.json");

function flags(over: Partial<AuditFlags>): AuditFlags {
  return {
    region: ["us-east-1", "eu-west-1"],
    roleArn: [],
    image: [],
    format: "json",
    failOn: "low",
    config: CONFIG,
    concurrency: 8,
    maxAttempts: 3,
    timeout: 20,
    now: NOW.toISOString(),
    ...over,
  };
}

describe("commands return their exit code", function () {
  this.timeout(60_000);
  let server: Ec2Server;
  let restore: () => void;
  let stdout: typeof process.stdout.write;

  before(async () => {
    // eu-west-1 alone is clean once its trail validates its log files; us-east-1 has findings.
    const world = scenario();
    world.accounts[ACCOUNT].trails![0].LogFileValidationEnabled = true;
    server = await startEc2Server({ handlers: worldHandlers(world), routes: ROUTES });
    restore = sdkEnv({ AWS_ENDPOINT_URL: server.url });
  });
  after(async () => {
    restore();
    await server.close();
  });
  beforeEach(() => {
    stdout = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = stdout;
  });

  it("the audit's action resolves to 1 on findings at or above --fail-on and 0 without", async () => {
    assert.equal(await auditAction(flags({})), EXIT.findings);
    assert.equal(await auditAction(flags({ region: ["eu-west-1"] })), EXIT.ok);
  });
});

describe("the progress bar (cli-progress)", () => {
  const terminal = () => {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString()));
    return { stream: s, text: () => text };
  };

  it("draws on a terminal what is counted, and clears the line when the work is done", async () => {
    const t = terminal();
    t.stream.isTTY = true;
    t.stream.columns = 100;
    const result = await withProgress({ enabled: true, task: "reads", stream: t.stream }, async (p) => {
      assert.ok(p);
      p.add(4);
      p.tick(3);
      p.step("analyzing the stack", 3, 4);
      return 42;
    });
    assert.equal(result, 42);
    assert.match(t.text(), /0\/0 reads/, "the first frame names what is counted");
    assert.match(t.text(), /\x1b\[2K|\x1b\[0K|\x1b\[K/, "the line is cleared at the end"); // eslint-disable-line no-control-regex
  });

  it("stops the bar when the work fails, and passes the error on", async () => {
    const t = terminal();
    t.stream.isTTY = true;
    await assert.rejects(
      withProgress({ enabled: true, task: "reads", stream: t.stream }, () =>
        Promise.reject(new Error("boom")),
      ),
      /boom/,
    );
    assert.match(t.text(), /\x1b\[\?25h/, "the cursor is shown again"); // eslint-disable-line no-control-regex
  });

  it("draws nothing when the stream is not a terminal or the output is machine-readable", async () => {
    for (const [enabled, tty] of [
      [true, false],
      [false, true],
    ]) {
      const t = terminal();
      t.stream.isTTY = tty;
      const seen = await withProgress({ enabled, task: "reads", stream: t.stream }, (p) =>
        Promise.resolve(p),
      );
      assert.equal(seen, undefined);
      assert.equal(t.text(), "");
    }
  });
});

describe("what a command loads", () => {
  it("the audit and the AWS SDK load only when `audit` runs: every other command starts without them", () => {
    requireBuiltCli();
    const loaded = (args: string[], env: Record<string, string> = {}): string[] =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            "-e",
            `const { main } = require("./dist/src/cli/ami-guard.js");
             main(${JSON.stringify(args)}).then(() => {
               const mods = Object.keys(require.cache).map((m) => m.split(require("path").sep).join("/"));
               process.stdout.write(JSON.stringify(mods.filter((m) => /@aws-sdk\\/client-|\\/dist\\/src\\/audit\\/audit\\.js$/.test(m))));
             });`,
          ],
          {
            cwd: REPO,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            env: { ...process.env, ...env },
          },
        )
          .split("\n")
          .pop()!,
      ) as string[];
    assert.deepEqual(loaded(["pack-config", "--stack", "dev", "--output", "/dev/null"]), []);
    assert.deepEqual(loaded(["audit", "--help"]), []);
    assert.deepEqual(
      loaded(["audit", "--region", "nowhere-1"]),
      [],
      "a bad flag stops before the audit loads",
    );
    // The row that must stay: an audit loads them when it runs (here against a closed loopback port: exit 2).
    const audit = loaded(["audit", "--region", "us-east-1", "--max-attempts", "1", "--timeout", "2"], {
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "us-east-1",
    });
    assert.ok(
      audit.some((m) => m.endsWith("/dist/src/audit/audit.js")),
      audit.join(", "),
    );
    assert.ok(
      audit.some((m) => m.includes("@aws-sdk/client-ec2")),
      audit.join(", "),
    );
  });
});
