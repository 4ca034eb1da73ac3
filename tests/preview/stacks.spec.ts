/**
 * Dogfooding: `ami-guard preview` on each shipped stack, with the shipped default inventory. Every resource of
 * the stack goes to the project's pack through the engine protocol, and no mandatory policy is violated.
 *
 * Each stack's preview runs once, compiled, through the CLI's `main` in this process (dev's also writes the
 * effective policy config, read back by a second run); the `ami-guard` binary is started as a process once, on
 * dev in text mode: exit 0, the plan on stdout, nothing on stderr.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import { readInventory } from "../../policy-pack/aws/lookup";
import { type CliRun, REPO, requireBuiltPack, runCli, scaled } from "../helpers/engine";
import { requireBuiltCli, runMain } from "../helpers/cli";

const schema = JSON.parse(
  fs.readFileSync(path.join(REPO, "tests/fixtures/preview/output.schema.json"), "utf8"),
) as object;
const validate = new Ajv({ strict: false }).compile(schema);

interface Out {
  stack: string;
  resources: { type: string; name: string; urn: string }[];
  diagnostics: { policy: string; level: string; message: string; urn: string }[];
}

describe("ami-guard preview on the shipped stacks", function () {
  this.timeout(scaled(150_000));
  let dir: string;
  let configFile: string;
  /** dev's preview (--json), which also wrote the effective policy config to `configFile`. */
  let dev: CliRun;
  before(async () => {
    requireBuiltPack();
    requireBuiltCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-cfg-"));
    configFile = path.join(dir, "dev.json");
    dev = await runMain(["preview", "--stack", "dev", "--json", "--write-policy-pack-config", configFile], {
      compiled: true,
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const preview = (stack: string) =>
    stack === "dev"
      ? Promise.resolve(dev)
      : runMain(["preview", "--stack", stack, "--json"], { compiled: true });

  it("ships a valid default inventory that cannot age", () => {
    const images = readInventory(path.join(REPO, "inventory", "default.json"));
    // The shipped stacks launch their own pipeline's image (unknown at preview) and build on an
    // AWS-managed parent ARN: no AMI id needs facts, so nothing in the file can go stale.
    assert.equal(images.size, 0);
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: every resource goes through the pack with no mandatory violation (exit 0)`, async () => {
      const run = await preview(stack);
      assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
      const out = JSON.parse(run.stdout) as Out;
      assert.ok(validate(out), JSON.stringify(validate.errors));
      assert.equal(out.stack, stack);
      const types = out.resources.map((r) => r.type);
      assert.equal(types[0], "pulumi:pulumi:Stack");
      for (const t of [
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:imagebuilder/imageRecipe:ImageRecipe",
        "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
        "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess",
        "pulumi:providers:aws",
      ]) {
        assert.ok(types.includes(t), `${stack} has a ${t}`);
      }
      for (const r of out.resources) assert.ok(r.urn.startsWith(`urn:pulumi:${stack}::ami-guard::`), r.urn);
      assert.equal(new Set(out.resources.map((r) => r.urn)).size, out.resources.length, "URNs are unique");
      assert.deepEqual(
        out.diagnostics.filter((d) => d.level === "mandatory"),
        [],
      );
      // The fleet's AMI comes from the stack's own pipeline: unknown now, judged at update, and said so.
      const lt = out.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
      assert.ok(
        out.diagnostics.some(
          (d) => d.urn === lt.urn && d.level === "advisory" && /not known until the update/.test(d.message),
        ),
      );
    });
  }

  it("writes the effective policy config, which --policy-pack-config accepts back", async () => {
    assert.equal(dev.code, 0, dev.stderr);
    const doc = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, Record<string, unknown>>;
    assert.deepEqual(doc["ec2-ami-disallow-untrusted-owner"].trustedOwners, ["amazon", "111111111111"]);
    assert.equal(doc["ec2-ami-disallow-stale-image"].maxAgeDays, 30);
    assert.equal(doc["ec2-ami-disallow-stale-image"].enforcementLevel, "mandatory");
    const again = await runMain(["preview", "--stack", "dev", "--json", "--policy-pack-config", configFile], {
      compiled: true,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), JSON.parse(dev.stdout));
  });

  it("the binary prints a plan and the verdict in text mode, compiled as `npm start` runs it, without ts-node (exit 0)", async () => {
    const bin = path.join(REPO, "dist", "src", "cli", "ami-guard.js");
    assert.ok(
      fs.existsSync(bin),
      "dist/src/cli/ami-guard.js is missing: run `npm run build` (npm ci does it)",
    );
    const run = await runCli(["preview", "--stack", "dev"], {
      compiled: true,
      env: { TS_NODE_TRANSPILE_ONLY: undefined },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Previewing update \(dev\)/);
    assert.match(run.stdout, /pulumi:pulumi:Stack\s+ami-guard-dev\s+create/);
    assert.match(run.stdout, /aws:ec2\/launchTemplate:LaunchTemplate/);
    assert.match(run.stdout, /\+ [0-9]+ to create/);
    assert.match(run.stdout, /Result: no mandatory policy violations/);
    assert.equal(run.stderr, "", "no progress bar when stderr is not a terminal");
  });
});
