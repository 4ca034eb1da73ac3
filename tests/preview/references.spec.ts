/**
 * `ami-guard preview` offline with an AMI named through `resolve:ssm:`: the inventory's `Parameters` carry the
 * parameter's value to the pack, the image it names is judged, and a malformed `Parameters` list is refused
 * with one line naming the file. The CLI runs compiled, in this process (its `main`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  FIXTURE_PROJECT,
  image,
  PACK_DIR,
  requireBuiltPack,
  scaled,
  writeInventory,
} from "../helpers/engine";
import { requireBuiltCli, runMain } from "../helpers/cli";

const CLEAN = "ami-0ddddddddddddddd4";
const COMMUNITY = "ami-0bbbbbbbbbbbbbbb2";
const TRUSTED = "123456789012";

describe("ami-guard preview with resolve:ssm: AMIs", function () {
  this.timeout(scaled(150_000));
  let tmp: string;
  let trustConfig: string;
  let stackFile: string;
  const inventories: string[] = [];
  const inventory = (value: string) => {
    const f = writeInventory(
      [image({ id: CLEAN, owner: TRUSTED }), image({ id: COMMUNITY, owner: "999988887777", public: true })],
      { Parameters: [{ Name: "/golden/bastion", Value: value, Version: 2 }] },
    );
    inventories.push(f);
    return f;
  };

  before(() => {
    requireBuiltPack();
    requireBuiltCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-ssm-preview-"));
    trustConfig = path.join(tmp, "trust.json");
    fs.writeFileSync(
      trustConfig,
      JSON.stringify({ "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", TRUSTED] } }),
    );
    stackFile = path.join(tmp, "Pulumi.clean.yaml");
    fs.writeFileSync(
      stackFile,
      [
        "config:",
        `  fixture:fleetAmi: ${CLEAN}`,
        "  fixture:bastionAmi: resolve:ssm:/golden/bastion",
        `  fixture:copySourceAmi: ${CLEAN}`,
        '  fixture:ignoreAmiChanges: "false"',
        "",
      ].join("\n"),
    );
  });
  after(() => {
    for (const f of inventories) fs.rmSync(path.dirname(f), { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const preview = (inv: string) =>
    runMain(
      [
        "preview",
        "--stack",
        "clean",
        "--cwd",
        FIXTURE_PROJECT,
        "--policy-pack",
        PACK_DIR,
        "--config-file",
        stackFile,
        "--policy-pack-config",
        trustConfig,
        "--json",
        "--inventory",
        inv,
      ],
      { compiled: true },
    );

  it("passes when the parameter holds an approved image, and blocks when it holds a community image", async () => {
    const ok = await preview(inventory(CLEAN));
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const bad = await preview(inventory(COMMUNITY));
    assert.equal(bad.code, 1, bad.stderr);
    const out = JSON.parse(bad.stdout) as {
      diagnostics: { policy: string; level: string; message: string }[];
    };
    const d = out.diagnostics.find(
      (x) => x.policy === "ec2-ami-disallow-untrusted-owner" && x.level === "mandatory",
    );
    assert.ok(d, bad.stdout);
    assert.match(d.message, new RegExp(`AMI ${COMMUNITY} .*SSM parameter /golden/bastion version 2`));
  });

  it("refuses an inventory whose Parameters are malformed, naming the file", async () => {
    const f = path.join(tmp, "bad-params.json");
    fs.writeFileSync(f, JSON.stringify({ Images: [], Parameters: [{ Name: "/x" }] }));
    const run = await preview(f);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^ami-guard: .*bad-params\.json: Parameters\[0\] needs a string Name and Value/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
});
