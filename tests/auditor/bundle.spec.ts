/**
 * The bundle the build makes (dist/auditor/handler.js) is the whole function: copied alone into an empty
 * folder, with no node_modules anywhere above it, it loads and audits the loopback account end to end.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ACCOUNT, FUNCTION_ARN, PUBLIC, event, useLoopback, world } from "./support";

const BUNDLE = path.resolve(__dirname, "../../dist/auditor/handler.js");

/** Runs in the child: loads the handler, invokes it twice, prints what happened. */
const CHILD = `
const t0 = process.hrtime.bigint();
let sdk = "absent";
try { require.resolve("@aws-sdk/client-ec2"); sdk = "resolvable"; } catch {}
const m = require("./handler.js");
const loaded = process.hrtime.bigint();
const ev = JSON.parse(process.env.EVENT);
const ctx = { invokedFunctionArn: process.env.FUNCTION_ARN, awsRequestId: "1" };
const log = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
m.handler(ev, ctx).then(async (first) => {
  const t1 = process.hrtime.bigint();
  const second = await m.handler(ev, ctx);
  const t2 = process.hrtime.bigint();
  log(JSON.stringify({ type: typeof m.handler, sdk, first, second,
    ms: { require: Number(loaded - t0) / 1e6, first: Number(t1 - loaded) / 1e6, warm: Number(t2 - t1) / 1e6 } }));
}, (e) => { log(JSON.stringify({ error: String(e && e.stack || e) })); process.exitCode = 1; });
`;

describe("auditor bundle", function () {
  this.timeout(120_000);
  const loopback = useLoopback();
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is one file that loads and audits on its own, outside the repository", async () => {
    assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: npm run build makes it`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-lambda-"));
    for (let up = dir; up !== path.dirname(up); up = path.dirname(up))
      assert.ok(
        !fs.existsSync(path.join(up, "node_modules")),
        `${up} has node_modules: not an isolated folder`,
      );
    fs.copyFileSync(BUNDLE, path.join(dir, "handler.js"));
    fs.writeFileSync(path.join(dir, "invoke.js"), CHILD);
    const lb = await loopback(world());
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      EVENT: JSON.stringify(event("scheduled")),
      FUNCTION_ARN,
      AWS_ENDPOINT_URL: lb.server.url,
    };
    for (const [k, v] of Object.entries(process.env))
      if ((k.startsWith("AWS_") || k.startsWith("AMI_GUARD_")) && v !== undefined) env[k] ??= v;
    const { stdout } = await promisify(execFile)(process.execPath, ["invoke.js"], { cwd: dir, env });
    const out = JSON.parse(stdout) as {
      type: string;
      sdk: string;
      first: { account: string; complete: boolean; imported: number };
      second: { imported: number };
      ms: Record<string, number>;
    };
    assert.equal(out.type, "function");
    assert.equal(out.sdk, "absent", "the AWS SDK is bundled, not resolved from around the file");
    assert.equal(out.first.account, ACCOUNT);
    assert.equal(out.first.complete, true);
    assert.equal(out.first.imported, 3);
    assert.equal(out.second.imported, 3);
    assert.ok(lb.hub.active().some((id) => id.includes(PUBLIC)));
    if (process.env.AMI_GUARD_BUNDLE_TIMES) process.stderr.write(`${JSON.stringify(out.ms)}\n`);
  });
});
