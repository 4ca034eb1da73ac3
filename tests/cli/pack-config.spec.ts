/**
 * One settings path. The one reader of a policy pack configuration (preview, audit, auditor) lets the pack's own
 * validator decide every value, so the CLI and the pack never disagree; the preview adds the engine's checks
 * against the pack it runs; the enforcement levels are one list in the protocol's order, encoded by the
 * protocol's enum; and `ami-guard pack-config --stack <env>` derives our stacks' settings from the stack file
 * alone.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { policies } from "../../policy-pack/policies";
import { RULES } from "ami-guard-policies/rules/rules";
import { resolveSettings, SettingsError, type SettingName } from "ami-guard-policies/rules/settings";
import { loadAnalyzerStubs } from "../../src/analyzer/proto";
import { levelCode, levelName } from "../../src/analyzer/client";
import { ENFORCEMENT_LEVELS, type AnalyzerInfo } from "../../src/analyzer/types";
import { UserError } from "../../src/cli/errors";
import { parsePackConfig, toConfigure } from "../../src/pack-config/parse";
import { packSettingsForStack } from "../../config/pack-settings";
import { readProject, readStackConfig } from "../../src/preview/project";
import { FIXTURE_PROJECT, PACK_DIR, REPO } from "../helpers/engine";
import { runCli } from "../audit/support";

/** What GetAnalyzerInfo says about our pack, built from the pack's own policy list. */
const INFO: AnalyzerInfo = {
  name: "ami-guard",
  displayName: "AMI Guard",
  version: "0.0.0",
  supportsConfig: true,
  description: "",
  initialConfig: {},
  policies: policies.map((p) => ({
    name: p.name,
    displayName: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel ?? "advisory",
    policyType: "resource",
    severity: "unspecified",
    configSchema: {
      properties: JSON.parse(JSON.stringify(p.configSchema?.properties ?? {})),
      required: p.configSchema?.required ?? [],
    },
  })),
};

const OWNER = "444444444444";
const STACKS = fs
  .readdirSync(path.join(REPO, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => !!s)
  .sort();

function refusal(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && e.exitCode === 2 && pattern.test(e.message));
}

describe("enforcement levels: one list, in the protocol's order, encoded by the protocol's enum", () => {
  const stubs = loadAnalyzerStubs(PACK_DIR);
  const enumValues = stubs.pb.EnforcementLevel as unknown as Record<string, number>;

  it("lists the levels in the order of pulumirpc.EnforcementLevel", () => {
    const protocolOrder = Object.entries(enumValues)
      .sort((a, b) => a[1] - b[1])
      .map(([name]) => name.toLowerCase());
    assert.deepEqual([...ENFORCEMENT_LEVELS], protocolOrder);
  });

  it("encodes and decodes each level by its enum name", () => {
    for (const level of ENFORCEMENT_LEVELS) {
      assert.equal(levelCode(stubs, level), enumValues[level.toUpperCase()], level);
      assert.equal(levelName(stubs, enumValues[level.toUpperCase()]), level);
    }
    assert.equal(levelCode(stubs, "loud"), undefined);
    assert.equal(levelCode(stubs, "ADVISORY"), undefined, "only the lower-case names of the file format");
  });
});

describe("the one pack-config reader", () => {
  it("lets the pack's own validator decide every value, for every policy and every setting it reads", () => {
    const samples: Record<SettingName, unknown[]> = {
      trustedOwners: [["amazon"], ["12"], "amazon", ["amazon", "amazon"]],
      requiredTags: [["Version"], [""], ["a", "a"]],
      allowedTagValues: [{ Approved: ["true"] }, { Approved: "true" }, { Approved: [] }],
      tagExemptOwners: [["aws-marketplace"], ["someone"]],
      maxAgeDays: [30, 0, 1.5, "30", 3651],
      allowedAccounts: [["111111111111"], ["1111"]],
      allowedOrganizations: [["arn:aws:organizations::111111111111:organization/o-abcdefghij"], ["o-1"]],
      allowedOrganizationalUnits: [
        ["arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-abcdefgh"],
        ["ou-1"],
      ],
      allowedKmsKeys: [
        ["arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"],
        ["alias/golden"],
        ["0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"],
      ],
      ownerReadRoles: [
        { [OWNER]: `arn:aws:iam::${OWNER}:role/ami-guard/ami-owner-read` },
        // Matches the schema's pattern, but the role is in another account: only the pack's validator sees it.
        { [OWNER]: "arn:aws:iam::555555555555:role/ami-guard/ami-owner-read" },
        { "44": `arn:aws:iam::${OWNER}:role/r` },
      ],
    };
    let refused = 0;
    for (const p of INFO.policies) {
      for (const setting of Object.keys(p.configSchema!.properties) as SettingName[]) {
        for (const value of samples[setting]) {
          const section = { [setting]: value };
          let packProblem: string | undefined;
          try {
            resolveSettings(section, p.name);
          } catch (e) {
            assert.ok(e instanceof SettingsError);
            packProblem = e.message;
          }
          const what = `${p.name}.${setting} = ${JSON.stringify(value)}`;
          if (packProblem === undefined) {
            const c = parsePackConfig({ [p.name]: section }, "f.json");
            assert.deepEqual(c.policies.get(p.name)!.settings![setting], value, what);
            assert.deepEqual(toConfigure(c, INFO)[p.name].properties[setting], value, what);
          } else {
            refused++;
            assert.throws(
              () => parsePackConfig({ [p.name]: section }, "f.json"),
              (e: unknown) => e instanceof UserError && e.message === `f.json: ${packProblem}`,
              what,
            );
          }
        }
      }
    }
    assert.ok(refused > 10);
  });

  it("refuses an owner read role in another account before the pack would (the schema alone lets it pass)", () => {
    refusal(
      () =>
        parsePackConfig(
          { [RULES.untagged]: { ownerReadRoles: { [OWNER]: "arn:aws:iam::555555555555:role/r" } } },
          "pack.json",
        ),
      /^pack\.json: ec2-ami-require-tags\.ownerReadRoles\.444444444444 is a role in account 555555555555/,
    );
  });

  it("sends every policy its level (own, else all, else the pack's) and its properties over the schema defaults", () => {
    const c = toConfigure(
      parsePackConfig(
        {
          all: "advisory",
          [RULES.stale]: { maxAgeDays: 30, enforcementLevel: "mandatory" },
          [RULES.shared]: "disabled",
          [RULES.untagged]: { requiredTags: ["Team"] },
        },
        "f.json",
      ),
      INFO,
    );
    assert.deepEqual(Object.keys(c).sort(), INFO.policies.map((p) => p.name).sort());
    assert.deepEqual(c[RULES.stale], { enforcementLevel: "mandatory", properties: { maxAgeDays: 30 } });
    assert.equal(c[RULES.shared].enforcementLevel, "disabled");
    assert.equal(c[RULES.untagged].enforcementLevel, "advisory");
    assert.deepEqual(c[RULES.untagged].properties.requiredTags, ["Team"]);
    assert.deepEqual(c[RULES.untagged].properties.allowedTagValues, { Approved: ["true"] }, "schema default");
    const packDefaults = toConfigure(parsePackConfig(undefined, "none"), INFO);
    for (const p of INFO.policies) assert.equal(packDefaults[p.name].enforcementLevel, p.enforcementLevel);
  });

  it("refuses, naming the file, the policy and the property", () => {
    const bad: [unknown, RegExp][] = [
      [[], /^f\.json: the configuration must be an object mapping policy names to their settings$/],
      [null, /must be an object/],
      [
        { all: "loud" },
        /^f\.json: all must be an enforcement level \(advisory, mandatory, disabled, remediate\)$/,
      ],
      [{ all: { enforcementLevel: "advisory", maxAgeDays: 3 } }, /all must be an enforcement level/],
      [
        { [RULES.stale]: "sometimes" },
        /ec2-ami-disallow-stale-image must be an enforcement level .* or an object$/,
      ],
      [{ [RULES.stale]: null }, /ec2-ami-disallow-stale-image must be an enforcement level/],
      [
        { [RULES.stale]: { enforcementLevel: "loud" } },
        /stale-image\.enforcementLevel must be an enforcement level/,
      ],
      [{ [RULES.stale]: { maxAge: 3 } }, /^f\.json: unknown property ec2-ami-disallow-stale-image\.maxAge$/],
    ];
    for (const [doc, pattern] of bad) refusal(() => parsePackConfig(doc, "f.json"), pattern);
    refusal(
      () => toConfigure(parsePackConfig({ "ec2-ami-no-such-policy": {} }, "f.json"), INFO),
      /^f\.json: ec2-ami-no-such-policy is not a policy of pack ami-guard \(policies: /,
    );
    refusal(
      () => toConfigure(parsePackConfig({ [RULES.stale]: { trustedOwners: ["amazon"] } }, "f.json"), INFO),
      /^f\.json: ec2-ami-disallow-stale-image\.trustedOwners is not a property of policy ec2-ami-disallow-stale-image$/,
    );
  });
});

describe("ami-guard pack-config --stack <env>", function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-pack-config-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("prints each stack's settings, derived from its stack file alone, and the pack takes them", async () => {
    for (const stack of STACKS) {
      const r = await runCli(["pack-config", "--stack", stack]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const doc = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
      const project = readProject(REPO);
      assert.deepEqual(doc, packSettingsForStack(readStackConfig(project, stack).config, stack));
      const sent = toConfigure(parsePackConfig(doc, stack), INFO);
      const stackFile = fs.readFileSync(path.join(REPO, "stacks", `Pulumi.${stack}.yaml`), "utf8");
      const maxAge = Number(/ami-guard:amiMaxAgeDays: "?([0-9]+)/.exec(stackFile)![1]);
      assert.equal(sent[RULES.stale].properties.maxAgeDays, maxAge, `${stack}: amiMaxAgeDays`);
      assert.ok((sent[RULES.untrusted].properties.trustedOwners as string[]).includes("amazon"));
    }
  });

  it("writes the same JSON with --output, and takes --config-file and --cwd", async () => {
    const out = path.join(tmp, "dev.json");
    const printed = (await runCli(["pack-config", "--stack", "dev"])).stdout;
    const r = await runCli(["pack-config", "--stack", "dev", "--cwd", REPO, "--output", out]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
    assert.equal(fs.readFileSync(out, "utf8"), printed);
    const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
    const older = path.join(tmp, "older.yaml");
    fs.writeFileSync(older, dev.replace(/ami-guard:amiMaxAgeDays: .*/, 'ami-guard:amiMaxAgeDays: "21"'));
    const o = await runCli(["pack-config", "--stack", "dev", "--config-file", older]);
    assert.equal(JSON.parse(o.stdout)[RULES.stale].maxAgeDays, 21, o.stderr);
  });

  it("refuses a bad stack with one line and exit 2", async () => {
    const dev = fs.readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8");
    const broken = path.join(tmp, "broken.yaml");
    fs.writeFileSync(broken, dev.replace(/ami-guard:amiMaxAgeDays: .*/, 'ami-guard:amiMaxAgeDays: "zero"'));
    const cases: [string[], RegExp][] = [
      [
        ["--stack", "nope"],
        /^ami-guard: unknown stack "nope": there is no stacks\/Pulumi\.nope\.yaml \(stacks: /,
      ],
      [["--stack", "../dev"], /^ami-guard: invalid stack name "\.\.\/dev"/],
      [
        ["--stack", "dev", "--config-file", broken],
        /Invalid configuration ami-guard:amiMaxAgeDays in \S*broken\.yaml: /,
      ],
      [["--stack", "dev", "--cwd", FIXTURE_PROJECT], /project fixture is not AMI Guard's program/],
      [
        ["--stack", "dev", "--output", path.join(tmp, "no-such-dir", "x.json")],
        /^ami-guard: cannot write .*x\.json: ENOENT/,
      ],
      [[], /required option '-s, --stack <name>' not specified/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(["pack-config", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^[^\n]+\n$/, `one line: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});
