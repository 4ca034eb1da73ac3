/**
 * The pack as an organisation runs it: `pulumi policy publish` runs `npm pack` in `policy-pack/`; Pulumi's
 * runners unpack the tarball into a folder of their own, run `npm install` there and start it with
 * `pulumi-analyzer-policy` (run-policy-pack of the @pulumi/pulumi installed in that folder, the folder as working
 * directory). This spec does exactly that, once, in a temporary folder outside the repository, so nothing of
 * the repository (its tsconfig.json, its sources, its node_modules) can help the pack start. The folder's
 * node_modules are kept from one run to the next (in the system's temporary directory, one folder per checkout):
 * each run empties the folder but for them, unpacks the new tarball, and `npm install` (without a lock file, as
 * on a fresh folder) brings them to the package's manifest: about 1 s instead of unpacking 250 packages again.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { PolicyPackProcess } from "../../src/analyzer/client";
import { startPolicyPack } from "../../src/analyzer/client";
import { runPolicyPackScript } from "../../src/analyzer/proto";
import type { AnalyzerInfo } from "../../src/analyzer/types";
import { parsePackConfig, toConfigure } from "../../src/pack-config/parse";
import { RULES } from "../../policy-pack/rules/rules";
import { PACK_DIR, REPO, image, requireBuiltPack, resource, writeInventory } from "../helpers/engine";

const run = promisify(execFile);
const COMMUNITY = "ami-0c0ffee0c0ffee0c0";
const STRANGER = "999988887777";

/** This machine's basics only: no npm_* (an outer `npm test` would point npm at the repository), no TS_NODE_*. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "APPDATA", "LOCALAPPDATA"]) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return { ...env, ...extra };
}

const npm = (args: string[], cwd: string) =>
  run("npm", args, {
    cwd,
    env: cleanEnv(),
    shell: process.platform === "win32",
    maxBuffer: 16 * 1024 * 1024,
  });

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

describe("the published pack (npm pack → unpack outside the repository → npm install → start as the engine does)", function () {
  // One real `npm install` from the registry (or npm's cache) per run.
  this.timeout(600_000);
  let work: string;
  let dir: string;
  let packed: string[];
  let inventory: string;
  let pack: PolicyPackProcess | undefined;
  let info: AnalyzerInfo;

  before(async () => {
    requireBuiltPack();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-published-"));
    // The installed folder of the last run of this checkout, outside the repository: all but node_modules goes.
    const installs = path.join(
      os.tmpdir(),
      `ami-guard-published-install-${createHash("sha256").update(REPO).digest("hex").slice(0, 12)}`,
    );
    dir = path.join(installs, "package");
    fs.mkdirSync(dir, { recursive: true });
    for (const entry of fs.readdirSync(dir)) {
      if (entry !== "node_modules") fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    await npm(["pack", "--pack-destination", work, "--loglevel", "error"], PACK_DIR);
    const tarballs = fs.readdirSync(work).filter((f) => f.endsWith(".tgz"));
    assert.equal(tarballs.length, 1, `npm pack made one tarball: ${tarballs.join(", ")}`);
    const tarball = path.join(work, tarballs[0]);
    packed = (await run("tar", ["-tzf", tarball])).stdout
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    await run("tar", ["-xzf", tarball, "-C", installs]);
    await npm(
      ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel", "error"],
      dir,
    );
    inventory = writeInventory([image({ id: COMMUNITY, owner: STRANGER, public: true })]);
    pack = await startPolicyPack({
      dir,
      engineAddress: "127.0.0.1:1",
      env: cleanEnv({
        PULUMI_PROJECT: "someone-elses-project",
        PULUMI_STACK: "prod",
        PULUMI_DRY_RUN: "true",
        AMI_GUARD_INVENTORY: inventory,
        AWS_REGION: "eu-west-1",
      }),
    });
    info = await pack.getAnalyzerInfo();
  });

  after(async () => {
    await pack?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (inventory) fs.rmSync(path.dirname(inventory), { recursive: true, force: true });
  });

  it("ships only the compiled pack, its manifest, README and example config: no sources, no tsconfig", () => {
    assert.ok(packed.includes("bin/index.js"), packed.join(", "));
    for (const f of ["package.json", "PulumiPolicy.yaml", "README.md", "config.example.json"]) {
      assert.ok(packed.includes(f), `${f} is in the package: ${packed.join(", ")}`);
    }
    const stray = packed.filter(
      (f) =>
        !/^bin\/.+\.js$/.test(f) &&
        !["package.json", "PulumiPolicy.yaml", "README.md", "config.example.json"].includes(f),
    );
    assert.deepEqual(stray, [], "nothing but the compiled pack and its documents");
    // Every compiled module has its source: a module left in bin/ by an older build is not shipped.
    const orphans = packed.filter(
      (f) =>
        /^bin\/.+\.js$/.test(f) && !fs.existsSync(path.join(PACK_DIR, f.replace(/^bin\/(.+)\.js$/, "$1.ts"))),
    );
    assert.deepEqual(
      orphans,
      [],
      "compiled modules without a source (npm run build starts from an empty bin/)",
    );
  });

  it("is built with a tsconfig that extends nothing outside policy-pack/", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "tsconfig.json"), "utf8")) as {
      extends?: string | string[];
    };
    for (const base of [tsconfig.extends ?? []].flat()) {
      assert.ok(isInside(path.resolve(PACK_DIR, base), PACK_DIR), `extends ${base}`);
    }
  });

  it("is unpacked outside the repository and runs the @pulumi/pulumi installed there", () => {
    assert.ok(!isInside(dir, REPO), `${dir} is outside ${REPO}`);
    assert.ok(isInside(runPolicyPackScript(dir), path.join(dir, "node_modules")), runPolicyPackScript(dir));
  });

  it("answers GetAnalyzerInfo with every policy of the pack, at the package's version", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(info.name, "ami-guard");
    assert.equal(info.version, manifest.version);
    const names = info.policies.map((p) => p.name);
    for (const rule of Object.values(RULES)) assert.ok(names.includes(rule), `serves ${rule}`);
  });

  it("takes the shipped example config (as `pulumi policy enable --config` sends it) and blocks a community AMI", async () => {
    const file = path.join(dir, "config.example.json");
    const config = toConfigure(parsePackConfig(JSON.parse(fs.readFileSync(file, "utf8")), file), info);
    await pack!.configure(config);
    const r = resource("aws:ec2/instance:Instance", "web", { ami: COMMUNITY, instanceType: "t3.micro" });
    const { diagnostics } = await pack!.analyze(r);
    const untrusted = diagnostics.filter((d) => d.policyName === RULES.untrusted);
    assert.equal(untrusted.length, 1, JSON.stringify(diagnostics));
    assert.equal(untrusted[0].enforcementLevel, "mandatory");
    assert.equal(untrusted[0].urn, r.urn);
    assert.match(untrusted[0].message, new RegExp(COMMUNITY));
    assert.match(untrusted[0].message, new RegExp(STRANGER));
  });
});
