/**
 * `ami-guard audit` end to end against the loopback EC2-compatible endpoint (AWS_ENDPOINT_URL): goldens for
 * the three formats, exit codes, throttling, 5xx, timeouts, an endpoint that is down, roles, regions, the
 * inventory export and a large account. Set UPDATE_GOLDEN=1 to rewrite the goldens.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parseInventory } from "../../policy-pack/aws/lookup";
import { RULES } from "../../policy-pack/rules/rules";
import { runAudit } from "../../src/audit/audit";
import { HANG, ec2Error } from "../../testing/ec2-server";
import { ACCOUNT, NOW, scenario } from "../fixtures/audit/scenario";
import { runCli, testOptions, useAuditLoopback } from "./support";
import type { World } from "../../testing/world";

const FIXTURES = path.join(__dirname, "..", "fixtures", "audit");
const CONFIG = path.relative(process.cwd(), path.join(FIXTURES, "pack-config.json"));
const BASE_ARGS = [
  "audit",
  "--region",
  "us-east-1,eu-west-1",
  "--config",
  CONFIG,
  "--now",
  NOW.toISOString(),
  "--max-attempts",
  "3",
];

function golden(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, actual);
  assert.equal(
    actual,
    fs.readFileSync(file, "utf8"),
    `${name} differs from the golden (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

describe("ami-guard audit against a loopback endpoint", function () {
  this.timeout(60_000);
  const lb = useAuditLoopback();
  const start = lb.start;

  describe("outputs", () => {
    it("prints the table grouped by severity, with the fix, and exits 1 on findings", async () => {
      await start(scenario());
      const r = await runCli([...BASE_ARGS, "--format", "table"]);
      assert.equal(r.stderr, "");
      assert.equal(r.code, 1);
      golden("report.golden.txt", r.stdout);
    });

    it("prints JSON with the findings and a complete summary", async () => {
      await start(scenario());
      const r = await runCli([...BASE_ARGS, "--format", "json"]);
      assert.equal(r.code, 1);
      golden("report.golden.json", r.stdout);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.complete, true);
      assert.deepEqual(doc.summary.accounts, [ACCOUNT]);
      assert.deepEqual(doc.summary.regions, ["eu-west-1", "us-east-1"]);
      for (const f of doc.findings)
        for (const k of ["imageId", "region", "account", "rule", "severity", "message"])
          assert.ok(k in f, `${k} in finding`);
      const total = Object.values(doc.summary.bySeverity as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      assert.equal(total, doc.findings.length);
    });

    it("prints SARIF 2.1.0 that validates against the schema of what it emits", async () => {
      await start(scenario());
      const r = await runCli([...BASE_ARGS, "--format", "sarif"]);
      assert.equal(r.code, 1);
      const log = JSON.parse(r.stdout) as {
        runs: {
          tool: { driver: { version: string; rules: { id: string }[] } };
          results: { ruleId: string; ruleIndex: number }[];
          invocations: { executionSuccessful: boolean }[];
        }[];
      };
      log.runs[0].tool.driver.version = "<version>";
      golden("report.golden.sarif", JSON.stringify(log, null, 2) + "\n");
      const ajv = new Ajv({ allErrors: true, strict: true });
      ajv.addFormat("uri", (s: string) => /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s));
      ajv.addFormat("uri-reference", (s: string) => !/\s/.test(s));
      const validate = ajv.compile(
        JSON.parse(fs.readFileSync(path.join(FIXTURES, "sarif-2.1.0-subset.schema.json"), "utf8")),
      );
      assert.ok(validate(log) === true, ajv.errorsText(validate.errors));
      const run = log.runs[0];
      for (const res of run.results) assert.equal(run.tool.driver.rules[res.ruleIndex].id, res.ruleId);
      assert.equal(run.invocations[0].executionSuccessful, true);
      const json = JSON.parse((await runCli([...BASE_ARGS, "--format", "json"])).stdout);
      assert.equal(run.results.length, json.findings.length);
    });
  });

  describe("exit codes", () => {
    it("exits 0 when nothing reaches --fail-on, 1 when something does", async () => {
      await start(scenario());
      assert.equal((await runCli([...BASE_ARGS, "--format", "json", "--fail-on", "critical"])).code, 1);
      const clean = scenario();
      clean.accounts[ACCOUNT].regions = { "eu-west-1": clean.accounts[ACCOUNT].regions["eu-west-1"] };
      clean.accounts[ACCOUNT].trails![0].LogFileValidationEnabled = true;
      await start(clean);
      const euOnly = ["audit", "--region", "eu-west-1", "--config", CONFIG, "--now", NOW.toISOString()];
      const r = await runCli([...euOnly, "--format", "json"]);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(JSON.parse(r.stdout).findings.length, 0);
      const t = await runCli(euOnly);
      assert.equal(t.code, 0);
      assert.match(t.stdout, /No findings\.\n\n0 findings .* Audit complete\.\n$/);
    });

    it("exits 2 on bad input, naming it", async () => {
      await start(scenario());
      for (const [args, msg] of [
        [["--region", "mars-1"], /--region "mars-1" is not an AWS region name/],
        [["--role-arn", "arn:aws:iam::1:user/x"], /--role-arn .* is not an IAM role ARN/],
        [
          ["--config", path.join(lb.tmp, "none.json")],
          /cannot read policy pack config .*none\.json: no such file/,
        ],
        [["--concurrency", "0"], /--concurrency must be a whole number from 1 to 64/],
      ] as [string[], RegExp][]) {
        const r = await runCli(["audit", ...args]);
        assert.equal(r.code, 2, args.join(" "));
        assert.match(r.stderr, msg);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      const both = await runCli(["audit", "--region", "us-east-1", "--all-regions"]);
      assert.equal(both.code, 2);
      assert.equal(lb.server.calls.total, 0, "nothing was called for bad input");
    });
  });

  describe("failures", () => {
    it("rides out throttling (RequestLimitExceeded, HTTP 503) with adaptive retries", async () => {
      await start(scenario());
      const calm = JSON.parse((await runCli([...BASE_ARGS, "--format", "json"])).stdout);
      const s = await start(scenario(), undefined, { rateLimit: { perSecond: 20, burst: 5 } });
      const r = await runCli([...BASE_ARGS, "--max-attempts", "10", "--format", "json"]);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(s.throttled() > 0, "the rate limit was hit");
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.complete, true);
      assert.deepEqual(doc.findings, calm.findings);
    });

    it("retries a 5xx and completes", async () => {
      await start(scenario(), (h) => ({
        ...h,
        DescribeImages: (req) =>
          req.attempt === 1
            ? ec2Error("InternalError", "An internal error has occurred", 500)
            : h.DescribeImages(req),
      }));
      const r = await runCli([...BASE_ARGS, "--format", "json"]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(JSON.parse(r.stdout).summary.complete, true);
    });

    it("exits 2 with a partial report, said to be partial, when a call keeps failing; no inventory is written", async () => {
      await start(scenario(), (h) => ({
        ...h,
        GetEbsEncryptionByDefault: () => ec2Error("Unavailable", "The service is unavailable.", 503),
      }));
      const inv = path.join(lb.tmp, "inv.json");
      const r = await runCli([...BASE_ARGS, "--format", "json", "--export-inventory", inv]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^ami-guard: audit incomplete: ec2:GetEbsEncryptionByDefault in 111111111111 (us-east-1|eu-west-1) failed: Unavailable \(HTTP 503\): The service is unavailable\. \(and 1 more failed read\(s\)\); inventory .*inv\.json not written\n$/,
      );
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.complete, false);
      assert.equal(doc.summary.errors.length, 2);
      assert.ok(!fs.existsSync(inv));
      assert.equal(lb.server.calls.GetEbsEncryptionByDefault, 6, "3 attempts in each of 2 regions");
      const table = await runCli([...BASE_ARGS]);
      assert.equal(table.code, 2);
      assert.match(table.stdout, /^AUDIT INCOMPLETE: 2 reads failed, so the findings below are partial\./);
      assert.match(table.stdout, /AUDIT INCOMPLETE\.\n$/);
      const sarif = JSON.parse((await runCli([...BASE_ARGS, "--format", "sarif"])).stdout);
      assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
      assert.equal(sarif.runs[0].invocations[0].toolExecutionNotifications.length, 2);
    });

    it("gives up on a call that never answers after its timeout", async () => {
      const s = await start(scenario(), (h) => ({ ...h, DescribeInstances: () => HANG }));
      const t = Date.now();
      const report = await runAudit(
        testOptions({ client: { maxAttempts: 2, connectionTimeoutMs: 500, requestTimeoutMs: 300 } }),
      );
      const ms = Date.now() - t;
      assert.equal(report.summary.complete, false);
      const e = report.summary.errors.find((x) => x.step === "ec2:DescribeInstances")!;
      assert.match(e.cause, /timed out|timeout/i);
      assert.equal(s.calls.DescribeInstances, 2);
      assert.ok(ms < 10_000, `${ms} ms`);
    });

    it("exits 2 naming the call when the endpoint is down", async () => {
      const s = await start(scenario());
      await s.close();
      const r = await runCli([...BASE_ARGS, "--max-attempts", "2"]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^ami-guard: audit incomplete: sts:GetCallerIdentity \(credentials\) in us-east-1 failed: .*ECONNREFUSED/,
      );
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line, no stack trace");
      assert.match(r.stdout, /^AUDIT INCOMPLETE/);
    });

    it("exits 2 when there are no credentials", async () => {
      await start(scenario());
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const r = await runCli([...BASE_ARGS, "--format", "json"]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^ami-guard: audit incomplete: sts:GetCallerIdentity \(credentials\) in us-east-1 failed: .*credentials/i,
      );
      assert.equal(lb.server.calls.total, 0);
      assert.equal(JSON.parse(r.stdout).summary.complete, false);
    });

    it("exits 2 without a region", async () => {
      await start(scenario());
      delete process.env.AWS_REGION;
      const r = await runCli(["audit"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^ami-guard: no AWS region: pass --region, or set AWS_REGION/);
    });
  });

  describe("accounts and regions", () => {
    function twoAccounts(): World {
      const w = scenario();
      w.accounts["222222222222"] = {
        regions: {
          "us-east-1": {
            owned: [],
            ebsEncryptionByDefault: true,
            imageBlockPublicAccess: "block-new-sharing",
            snapshotBlockPublicAccess: "block-all-sharing",
            allowedImages: { State: "enabled", criteria: 1 },
            inspectorEc2: "ENABLED",
            ebsDefaultKmsKeyId: "arn:aws:kms:us-east-1:222222222222:key/k",
          },
        },
        trails: [],
      };
      return w;
    }

    it("assumes each --role-arn and audits that account", async () => {
      const s = await start(twoAccounts());
      const r = await runCli([
        ...BASE_ARGS.slice(0, 1),
        "--region",
        "us-east-1",
        "--now",
        NOW.toISOString(),
        "--format",
        "json",
        "--role-arn",
        "arn:aws:iam::222222222222:role/Auditor",
        "--role-arn",
        `arn:aws:iam::${ACCOUNT}:role/Auditor`,
      ]);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.summary.accounts, ["222222222222", ACCOUNT]);
      assert.equal(s.calls.AssumeRole, 2);
      const other = doc.findings.filter((f: { account: string }) => f.account === "222222222222");
      assert.deepEqual(
        other.map((f: { rule: string }) => f.rule),
        ["ec2-account-require-cloudtrail"],
      );
    });

    it("exits 2 naming the role that could not be assumed, after auditing the others", async () => {
      await start(twoAccounts());
      const r = await runCli([
        "audit",
        "--region",
        "us-east-1",
        "--format",
        "json",
        "--role-arn",
        "arn:aws:iam::444444444444:role/Auditor",
        "--role-arn",
        "arn:aws:iam::222222222222:role/Auditor",
      ]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^ami-guard: audit incomplete: sts:AssumeRole arn:aws:iam::444444444444:role\/Auditor \(then sts:GetCallerIdentity\) in us-east-1 failed: AccessDenied/,
      );
      assert.deepEqual(JSON.parse(r.stdout).summary.accounts, ["222222222222"]);
    });

    it("--all-regions audits every enabled region", async () => {
      const s = await start(scenario());
      const r = await runCli([
        "audit",
        "--all-regions",
        "--config",
        CONFIG,
        "--now",
        NOW.toISOString(),
        "--format",
        "json",
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).summary.regions, ["eu-west-1", "us-east-1"]);
      assert.equal(s.calls.DescribeRegions, 1);
    });
  });

  describe("docs/audit.md", () => {
    it("grants the auditor role every call the audit makes", async () => {
      await start(scenario());
      const r = await runCli([...BASE_ARGS.slice(0, 1), "--all-regions", "--format", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const service = (op: string) =>
        op === "BatchGetAccountStatus"
          ? "inspector2"
          : /Trail|EventSelectors/.test(op)
            ? "cloudtrail"
            : op === "DescribeAutoScalingGroups"
              ? "autoscaling"
              : op === "GetCallerIdentity"
                ? "sts"
                : "ec2";
      const used = Object.keys(JSON.parse(r.stdout).summary.apiCalls)
        .filter((op) => op !== "GetCallerIdentity")
        .map((op) => `${service(op)}:${op}`);
      const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "audit.md"), "utf8");
      const block = /```json\n(\{\n {2}"Version": "2012-10-17"[\s\S]*?)```/.exec(doc);
      assert.ok(block, "the IAM policy block is in the docs");
      const actions: string[] = (JSON.parse(block[1]).Statement as { Action: string | string[] }[]).flatMap(
        (st) => st.Action,
      );
      assert.equal(used.length, 17);
      for (const a of used) assert.ok(actions.includes(a), `${a} is in the documented policy`);
    });
  });

  describe("--export-inventory", () => {
    it("writes the describe-images JSON the offline preview reads, with LaunchPermissions on owned images", async () => {
      await start(scenario());
      const file = path.join(lb.tmp, "inventory.json");
      const r = await runCli([...BASE_ARGS, "--format", "json", "--export-inventory", file]);
      assert.equal(r.code, 1, r.stderr);
      const images = parseInventory(fs.readFileSync(file, "utf8"), file);
      assert.deepEqual([...images.keys()].sort(), [
        "ami-0aaaaaaaaaaaaaaa1",
        "ami-0aaaaaaaaaaaaaaa2",
        "ami-0aaaaaaaaaaaaaaa3",
        "ami-0bbbbbbbbbbbbbbb1",
        "ami-0ccccccccccccccc1",
        "ami-0eeeeeeeeeeeeeee1",
      ]);
      assert.deepEqual(
        images.get("ami-0aaaaaaaaaaaaaaa2")!.launchPermissions!.map((p) => p.Group ?? p.UserId),
        ["all", "999999999999"],
      );
      assert.deepEqual(images.get("ami-0aaaaaaaaaaaaaaa3")!.launchPermissions, []);
      assert.equal(
        images.get("ami-0bbbbbbbbbbbbbbb1")!.launchPermissions,
        undefined,
        "not ours: permissions unknown",
      );
      assert.equal(images.get("ami-0aaaaaaaaaaaaaaa2")!.ebs[0].encrypted, false);
      assert.equal(
        images.get("ami-0aaaaaaaaaaaaaaa3")!.deprecationTime?.toISOString(),
        "2025-05-15T00:00:00.000Z",
      );
      assert.deepEqual(fs.readdirSync(lb.tmp), ["inventory.json"], "no temporary file left behind");
    });
  });

  describe("scale", () => {
    it("audits 3,000 owned images with bounded per-image calls, paginated listing and batched look-ups", async function () {
      const big = scenario();
      const region = big.accounts[ACCOUNT].regions["us-east-1"];
      region.owned = Array.from({ length: 3000 }, (_, i) => ({
        ...region.owned[0],
        ImageId: `ami-${i.toString(16).padStart(17, "0")}`,
      }));
      region.instances = Array.from({ length: 500 }, (_, i) => ({
        InstanceId: `i-${i.toString(16).padStart(17, "0")}`,
        ImageId: i % 2 ? "ami-0bbbbbbbbbbbbbbb1" : (region.owned[i].ImageId as string),
      }));
      region.templates = [];
      big.pageSize = 1000;
      let inFlight = 0;
      let peak = 0;
      const s = await start(
        big,
        (h) => ({
          ...h,
          DescribeImageAttribute: async (req) => {
            peak = Math.max(peak, ++inFlight);
            await new Promise((r) => setTimeout(r, 1));
            inFlight--;
            return h.DescribeImageAttribute(req);
          },
        }),
        { rateLimit: { perSecond: 4000, burst: 200 } },
      );
      const t = Date.now();
      const report = await runAudit(
        testOptions({
          concurrency: 16,
          config: (await import("../../src/audit/config")).loadConfig(CONFIG),
          client: { maxAttempts: 10, connectionTimeoutMs: 2000, requestTimeoutMs: 5000 },
        }),
      );
      const ms = Date.now() - t;
      assert.equal(report.summary.complete, true, JSON.stringify(report.summary.errors));
      assert.equal(report.summary.imagesScanned, 3000);
      assert.ok(peak <= 16, `peak ${peak}`);
      assert.equal(report.summary.apiCalls.DescribeImageAttribute, 3000);
      assert.equal(
        report.summary.apiCalls.DescribeImages,
        3 + 1,
        "3 pages of owned images, 1 by-id batch for the in-use image we do not own",
      );
      assert.equal(report.findings.filter((f) => f.rule === RULES.stale).length, 0);
      console.log(
        `      3000 images: ${ms} ms, ${s.calls.total} HTTP calls, ${s.throttled()} throttled, peak ${peak} in flight`,
      );
    });
  });
});
