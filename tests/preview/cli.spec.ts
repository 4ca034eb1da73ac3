/**
 * `ami-guard preview` end to end on a fixture project that pins AMI ids (tests/fixtures/preview/project), and
 * on every kind of bad input: exit 1 with diagnostics naming the AMIs, exit 0 on clean images, exit 2 with a
 * one-line message naming the file (never a stack trace).
 *
 * The compiled `ami-guard` binary is started as a process once per exit code here (1: the pinned stack, 2: an
 * unknown stack; 0 in stacks.spec.ts): exit code, JSON or text on stdout, the message on stderr. Every other
 * case runs the CLI's `main` in this process, which returns the same exit code and writes the same output:
 * the previews compiled (their program runner then starts without a TypeScript loader), the bad input from
 * source, one of them through the program runner started from source.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import { ec2Response, imageToWire, startEc2Server, type Ec2Server } from "../../testing/ec2-server";
import {
  FIXTURE_PROJECT,
  image,
  PACK_DIR,
  REPO,
  requireBuiltPack,
  runCli,
  scaled,
  writeInventory,
} from "../helpers/engine";
import { requireBuiltCli, runMain } from "../helpers/cli";

const schema = JSON.parse(
  fs.readFileSync(path.join(REPO, "tests/fixtures/preview/output.schema.json"), "utf8"),
) as object;
const validate = new Ajv({ strict: false }).compile(schema);

const FLEET = "ami-0aaaaaaaaaaaaaaa1"; // ours (trusted), but public and unencrypted
const BASTION = "ami-0bbbbbbbbbbbbbbb2"; // public community image, untagged
const COPY_SOURCE = "ami-0ccccccccccccccc3"; // private but foreign and unencrypted
const CLEAN = "ami-0ddddddddddddddd4";
const TRUSTED = "123456789012";

const badImages = [
  image({
    id: FLEET,
    owner: "123456789012",
    public: true,
    encrypted: false,
    launchPermissions: [{ Group: "all" }],
  }),
  image({ id: BASTION, owner: "999988887777", public: true, tags: {} }),
  image({ id: COPY_SOURCE, owner: "444455556666", encrypted: false }),
];

interface Out {
  stack: string;
  resources: { type: string; name: string; urn: string }[];
  diagnostics: { policy: string; level: string; message: string; urn: string }[];
}

const fixture = (stack: string, ...more: string[]) => [
  "preview",
  "--stack",
  stack,
  "--cwd",
  FIXTURE_PROJECT,
  "--policy-pack",
  PACK_DIR,
  ...more,
];

function assertCleanFailure(
  run: { code: number | null; stdout: string; stderr: string },
  pattern: RegExp,
): void {
  assert.equal(run.code, 2, `exit 2 expected: ${run.stderr}`);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /^ami-guard: /);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}

describe("ami-guard preview on a stack that pins AMIs", function () {
  this.timeout(scaled(150_000));
  let tmp: string;
  let badInventory: string;
  let cleanInventory: string;
  let trustConfig: string;

  before(() => {
    requireBuiltPack();
    requireBuiltCli();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-preview-"));
    badInventory = writeInventory(badImages);
    cleanInventory = writeInventory([image({ id: CLEAN, owner: TRUSTED })]);
    trustConfig = path.join(tmp, "trust.json");
    fs.writeFileSync(
      trustConfig,
      JSON.stringify({ "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", TRUSTED] } }),
    );
  });
  after(() => {
    for (const f of [badInventory, cleanInventory])
      fs.rmSync(path.dirname(f), { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("exits 1 when AMIs are public, unencrypted or foreign, naming each AMI and resource (the binary)", async () => {
    const run = await runCli(
      fixture("pinned", "--json", "--inventory", badInventory, "--policy-pack-config", trustConfig),
      { compiled: true },
    );
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as Out;
    assert.ok(validate(out), JSON.stringify(validate.errors));
    const mandatory = out.diagnostics.filter((d) => d.level === "mandatory");
    const about = (urnEnd: string, policy: string, ami: string) =>
      mandatory.some((d) => d.urn.endsWith(urnEnd) && d.policy === policy && d.message.includes(ami));
    const lt = "fixture:index:Fleet$aws:ec2/launchTemplate:LaunchTemplate::web-lt";
    assert.ok(about(lt, "ec2-ami-disallow-public-sharing", FLEET), "public fleet AMI");
    assert.ok(about(lt, "ec2-ami-require-encryption", FLEET), "unencrypted fleet AMI");
    assert.ok(
      !about(lt, "ec2-ami-disallow-untrusted-owner", FLEET),
      "the fleet AMI's owner is trusted by the config",
    );
    const bastion = "aws:ec2/instance:Instance::bastion";
    assert.ok(about(bastion, "ec2-ami-disallow-untrusted-owner", BASTION), "community bastion AMI");
    assert.ok(about(bastion, "ec2-ami-require-tags", BASTION), "untagged bastion AMI");
    assert.ok(
      mandatory.some((d) => d.urn.endsWith(bastion) && d.policy === "ec2-ami-disallow-ignore-changes"),
      "ignoreChanges on the AMI, read from the resource options",
    );
    assert.ok(about("aws:ec2/amiCopy:AmiCopy::golden-copy", "ec2-ami-disallow-untrusted-owner", COPY_SOURCE));
    // A component child's URN carries its parent's type, as the engine builds it.
    assert.ok(out.resources.some((r) => r.urn === `urn:pulumi:pinned::fixture::${lt}`));
    // The instance on the copy's id: unknown at preview, advisory only.
    assert.ok(
      out.diagnostics.filter((d) => d.urn.endsWith("::from-copy")).every((d) => d.level === "advisory"),
      "an AMI unknown until the update is never a mandatory violation",
    );
  });

  it("groups the text output by resource with the level", async () => {
    const run = await runMain(
      fixture("pinned", "--inventory", badInventory, "--policy-pack-config", trustConfig),
      { compiled: true },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stdout,
      /aws:ec2\/instance:Instance "bastion"\n(\s+.*\n)*?\s+- \[mandatory\]\s+ec2-ami-disallow-untrusted-owner/,
    );
    assert.match(run.stdout, /- \[advisory\]\s+ec2-ami-disallow-missing-image/);
    assert.match(run.stdout, /Result: [0-9]+ mandatory policy violation\(s\)/);
  });

  it("exits 0 on approved, encrypted, private AMIs of an owner the policy config trusts", async () => {
    const run = await runMain(
      fixture("clean", "--json", "--inventory", cleanInventory, "--policy-pack-config", trustConfig),
      { compiled: true },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const out = JSON.parse(run.stdout) as Out;
    assert.ok(validate(out));
    assert.deepEqual(
      out.diagnostics.filter((d) => d.level === "mandatory"),
      [],
    );
  });

  it("takes the verdict from the policy config: without trusting the owner, the same stack fails", async () => {
    const run = await runMain(fixture("clean", "--json", "--inventory", cleanInventory), { compiled: true });
    assert.equal(run.code, 1);
    const out = JSON.parse(run.stdout) as Out;
    assert.ok(
      out.diagnostics.some(
        (d) => d.policy === "ec2-ami-disallow-untrusted-owner" && d.message.includes(CLEAN),
      ),
    );
  });

  it("--live looks AMIs up in EC2 through the user's AWS environment (AWS_ENDPOINT_URL_EC2)", async () => {
    const server: Ec2Server = await startEc2Server({
      handlers: {
        DescribeImages: (r) => {
          const ids = Object.entries(r.params)
            .filter(([k]) => k.startsWith("ImageId."))
            .map(([, v]) => v);
          return ec2Response("DescribeImages", {
            imagesSet: badImages.filter((i) => ids.includes(String(i.ImageId))).map((i) => imageToWire(i)),
          });
        },
      },
    });
    try {
      const run = await runMain(fixture("pinned", "--json", "--live", "--policy-pack-config", trustConfig), {
        compiled: true,
        env: {
          AWS_ENDPOINT_URL_EC2: server.url,
          AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
          AWS_SECRET_ACCESS_KEY: "fake",
          AWS_PROFILE: undefined,
          AMI_GUARD_INVENTORY: "/nonexistent/must-be-ignored.json",
        },
      });
      assert.equal(run.code, 1, run.stderr);
      const out = JSON.parse(run.stdout) as Out;
      assert.ok(out.diagnostics.some((d) => d.level === "mandatory" && d.message.includes(FLEET)));
      assert.ok((server.calls.DescribeImages ?? 0) > 0, "EC2 was asked");
    } finally {
      await server.close();
    }
  });
});

describe("ami-guard preview on bad input (exit 2, a message naming the file)", function () {
  this.timeout(scaled(150_000));
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-bad-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it("an unknown stack, listing the known ones (the binary)", async () => {
    assertCleanFailure(
      await runCli(["preview", "--stack", "qa"], { compiled: true }),
      /unknown stack "qa".*Pulumi\.qa\.yaml.*stacks: dev, prod, staging/,
    );
  });

  it("a stack name that is not one", async () => {
    assertCleanFailure(await runMain(["preview", "--stack", "../dev"]), /invalid stack name/);
  });

  it("a missing inventory", async () => {
    const f = path.join(tmp, "nope.json");
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--inventory", f]),
      new RegExp(`cannot read inventory .*nope\\.json: no such file`),
    );
  });

  it("an inventory that is not JSON, or not in the describe-images shape", async () => {
    const notJson = write("broken.json", "{ Images: [");
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--inventory", notJson]),
      /broken\.json is not valid JSON/,
    );
    const shape = write("shape.json", JSON.stringify([{ ImageId: "ami-1" }]));
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--inventory", shape]),
      /shape\.json is not in the shape of 'aws ec2 describe-images/,
    );
    const noId = write("noid.json", JSON.stringify({ Images: [{ Name: "x" }] }));
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--inventory", noId]),
      /noid\.json: Images\[0\] has no ImageId/,
    );
  });

  it("a missing or malformed policy pack config", async () => {
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", path.join(tmp, "none.json")]),
      /cannot read policy pack config .*none\.json: no such file/,
    );
    const bad = write("bad-config.json", "{");
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", bad]),
      /bad-config\.json is not valid JSON/,
    );
  });

  it("a policy pack config that breaks a policy's schema, naming the file and the property", async () => {
    const age = write("age.json", JSON.stringify({ "ec2-ami-disallow-stale-image": { maxAgeDays: 0 } }));
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", age]),
      /age\.json: ec2-ami-disallow-stale-image\.maxAgeDays must be at least 1/,
    );
    const owner = write(
      "owner.json",
      JSON.stringify({ "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", "12"] } }),
    );
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", owner]),
      /owner\.json: ec2-ami-disallow-untrusted-owner\.trustedOwners\[1\] "12" does not match/,
    );
    const extra = write(
      "extra.json",
      JSON.stringify({ "ec2-ami-require-tags": { requiredTag: ["Version"] } }),
    );
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", extra]),
      /extra\.json: unknown property ec2-ami-require-tags\.requiredTag/,
    );
    const level = write("level.json", JSON.stringify({ "ec2-ami-require-tags": "sometimes" }));
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", level]),
      /level\.json: ec2-ami-require-tags must be an enforcement level/,
    );
    const unknown = write("unknown.json", JSON.stringify({ "ec2-ami-no-such-policy": {} }));
    // Checked against the policies the started pack lists: the program and the pack run, compiled.
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--policy-pack-config", unknown], { compiled: true }),
      /unknown\.json: ec2-ami-no-such-policy is not a policy of pack ami-guard/,
    );
  });

  it("a ConfigError from the program's config validation, with its message (the runner from source)", async () => {
    assertCleanFailure(
      await runMain(fixture("broken")),
      /Invalid configuration fixture:fleetAmi in stacks\/Pulumi\.broken\.yaml: "not-an-ami" is not an AMI id/,
    );
  });

  it("a ConfigError from our own stack config (--config-file), with its message", async () => {
    const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
    const f = write(
      "Pulumi.dev.yaml",
      dev.replace(/ami-guard:amiMaxAgeDays: .*/, 'ami-guard:amiMaxAgeDays: "zero"'),
    );
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--config-file", f]),
      /Invalid configuration ami-guard:amiMaxAgeDays/,
    );
  });

  it("a stack file that is not YAML", async () => {
    const f = write("Pulumi.x.yaml", "config: [unclosed");
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--config-file", f]),
      /Pulumi\.x\.yaml is not valid YAML/,
    );
  });

  it("--live together with --inventory", async () => {
    const inv = write("inv.json", JSON.stringify({ Images: [] }));
    assertCleanFailure(
      await runMain(["preview", "--stack", "dev", "--live", "--inventory", inv]),
      /--live and --inventory exclude each other/,
    );
  });

  it("no --stack", async () => {
    const run = await runMain(["preview"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /required option '-s, --stack <name>' not specified/);
  });
});
