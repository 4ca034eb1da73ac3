import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { factsFromImage, type AmiFacts } from "../../policy-pack/rules/facts";
import { RULES, judgeAmi } from "../../policy-pack/rules/rules";
import { resolveSettings, type AmiGuardSettings } from "../../policy-pack/rules/settings";
import { UserError } from "../../src/cli/errors";
import { loadConfig, parseConfig } from "../../src/audit/config";
import { GUARDRAIL_RULES, judgeRegionGuardrails } from "../../policy-pack/rules/guardrails";
import { judgeImage, judgeRegionImages, sortFindings } from "../../src/audit/judge";
import type { AuditFinding, RegionScan } from "../../src/audit/model";

const NOW = new Date("2025-06-01T00:00:00Z");
const defaults = resolveSettings(undefined);
const GOLDEN_KEY = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

describe("audit config", () => {
  it("uses the pack's defaults without a file", () => {
    const c = loadConfig(undefined);
    assert.deepEqual(c.settingsFor(RULES.untrusted), defaults);
    assert.equal(c.enabled(RULES.stale), true);
    assert.equal(c.source, "the pack's defaults");
  });

  it("gives each policy its own section merged over the defaults", () => {
    const c = parseConfig(
      {
        [RULES.untrusted]: { trustedOwners: ["amazon", "123456789012"] },
        [RULES.stale]: { maxAgeDays: 30, enforcementLevel: "advisory" },
      },
      "f.json",
    );
    assert.deepEqual(c.settingsFor(RULES.untrusted).trustedOwners, ["amazon", "123456789012"]);
    assert.equal(c.settingsFor(RULES.untrusted).maxAgeDays, 90);
    assert.equal(c.settingsFor(RULES.stale).maxAgeDays, 30);
    assert.deepEqual(c.settingsFor(RULES.stale).trustedOwners, ["amazon"]);
  });

  it("skips disabled policies, by section, shorthand or `all`", () => {
    const c = parseConfig(
      { [RULES.untagged]: { enforcementLevel: "disabled" }, [RULES.shared]: "disabled" },
      "f",
    );
    assert.equal(c.enabled(RULES.untagged), false);
    assert.equal(c.enabled(RULES.shared), false);
    assert.equal(c.enabled(RULES.stale), true);
    const all = parseConfig({ all: "disabled", [RULES.stale]: "mandatory" }, "f");
    assert.equal(all.enabled(RULES.untrusted), false);
    assert.equal(all.enabled(RULES.stale), true);
  });

  it("lets the EBS default-key guardrail read the encryption policy's allowedKmsKeys", () => {
    const c = parseConfig({ [RULES.unencrypted]: { allowedKmsKeys: [GOLDEN_KEY] } }, "f");
    assert.deepEqual(c.settingsFor(GUARDRAIL_RULES.ebsDefaultKey).allowedKmsKeys, [GOLDEN_KEY]);
  });

  it("names the file and the property on a bad value", () => {
    assert.throws(
      () => parseConfig({ [RULES.stale]: { maxAgeDays: 0 } }, "pack.json"),
      (e: unknown) =>
        e instanceof UserError &&
        /^pack\.json: ec2-ami-disallow-stale-image\.maxAgeDays must be at least 1$/.test(e.message),
    );
    assert.throws(
      () => parseConfig({ [RULES.stale]: { maxAge: 3 } }, "pack.json"),
      /unknown property ec2-ami-disallow-stale-image\.maxAge/,
    );
    assert.throws(
      () => parseConfig({ [RULES.stale]: { enforcementLevel: "loud" } }, "p"),
      /enforcementLevel must be an enforcement level \(advisory, mandatory, disabled, remediate\)/,
    );
    assert.throws(() => parseConfig([], "p"), /must be an object/);
  });

  it("reads JSON files, refuses YAML ones by name, and names a missing or malformed one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-config-"));
    try {
      fs.writeFileSync(path.join(dir, "c.json"), JSON.stringify({ [RULES.stale]: { maxAgeDays: 7 } }));
      fs.writeFileSync(path.join(dir, "bad.json"), "{nope");
      assert.equal(loadConfig(path.join(dir, "c.json")).settingsFor(RULES.stale).maxAgeDays, 7);
      for (const yaml of ["c.yaml", "c.YML"]) {
        fs.writeFileSync(path.join(dir, yaml), `${RULES.stale}:\n  maxAgeDays: 8\n`);
        assert.throws(
          () => loadConfig(path.join(dir, yaml)),
          (e: unknown) =>
            e instanceof UserError &&
            e.exitCode === 2 &&
            new RegExp(
              `${yaml.replace(".", "\\.")}: the policy pack config is JSON, .*YAML is not accepted`,
            ).test(e.message),
          yaml,
        );
      }
      assert.throws(() => loadConfig(path.join(dir, "bad.json")), /bad\.json is not valid JSON/);
      assert.throws(
        () => loadConfig(path.join(dir, "none.json")),
        /cannot read policy pack config .*none\.json: no such file/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const idArb = fc.stringMatching(/^ami-[0-9a-f]{17}$/);
const account = fc.constantFrom("111111111111", "222222222222", "333333333333");
const imageArb = fc.record({
  ImageId: idArb,
  OwnerId: account,
  ImageOwnerAlias: fc.option(fc.constantFrom("amazon", "aws-marketplace"), { nil: undefined }),
  Public: fc.boolean(),
  State: fc.constantFrom("available", "pending", "failed"),
  CreationDate: fc.option(
    fc
      .date({ min: new Date("2023-01-01"), max: new Date("2025-06-01"), noInvalidDate: true })
      .map((d) => d.toISOString()),
    { nil: undefined },
  ),
  DeprecationTime: fc.option(
    fc
      .date({ min: new Date("2024-01-01"), max: new Date("2026-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString()),
    { nil: undefined },
  ),
  Tags: fc.array(
    fc.record({
      Key: fc.constantFrom("Version", "Environment", "Approved", "Team"),
      Value: fc.constantFrom("", "true", "x"),
    }),
    { maxLength: 4 },
  ),
  BlockDeviceMappings: fc.array(
    fc.record({
      DeviceName: fc.constant("/dev/xvda"),
      Ebs: fc.record({
        Encrypted: fc.boolean(),
        KmsKeyId: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
      }),
    }),
    { maxLength: 2 },
  ),
  LaunchPermissions: fc.option(
    fc.array(
      fc.oneof(
        fc.constant({ Group: "all" }),
        account.map((UserId) => ({ UserId })),
      ),
      { maxLength: 3 },
    ),
    { nil: undefined },
  ),
});
const settingsArb: fc.Arbitrary<AmiGuardSettings> = fc.record({
  trustedOwners: fc.subarray(["amazon", "111111111111", "222222222222"]),
  requiredTags: fc.subarray(["Version", "Environment", "Approved"]),
  allowedTagValues: fc.constantFrom<Record<string, string[]>>({}, { Approved: ["true"] }),
  tagExemptOwners: fc.subarray(["amazon", "aws-marketplace"]),
  maxAgeDays: fc.integer({ min: 1, max: 400 }),
  allowedAccounts: fc.subarray(["222222222222", "333333333333"]),
  allowedOrganizations: fc.constant<string[]>([]),
  allowedOrganizationalUnits: fc.constant<string[]>([]),
  allowedKmsKeys: fc.subarray([GOLDEN_KEY]),
  ownerReadRoles: fc.constant<Record<string, string>>({}),
});

describe("audit judging", () => {
  it("says exactly what the core's judgeAmi says when every policy has the same settings", () => {
    fc.assert(
      fc.property(imageArb, settingsArb, (image, s) => {
        const facts = factsFromImage(image) as AmiFacts;
        const sections = Object.fromEntries(Object.values(RULES).map((r) => [r, s]));
        assert.deepEqual(judgeImage(facts, parseConfig(sections, "p"), NOW), judgeAmi(facts, s, NOW));
      }),
      { numRuns: 300 },
    );
  });

  it("judges each rule with its own policy's settings", () => {
    const facts = factsFromImage({
      ImageId: "ami-1",
      OwnerId: "123456789012",
      State: "available",
      CreationDate: "2025-05-01T00:00:00Z",
    })!;
    const c = parseConfig(
      { [RULES.untrusted]: { trustedOwners: ["123456789012"] }, [RULES.stale]: { maxAgeDays: 10 } },
      "p",
    );
    const rules = judgeImage(facts, c, NOW).map((f) => f.rule);
    assert.ok(!rules.includes(RULES.untrusted));
    assert.ok(rules.includes(RULES.stale));
    // the trust section's owners do not leak into the tag rule's exemptions, nor the other way round
    assert.ok(rules.includes(RULES.untagged));
  });

  function scan(over: Partial<RegionScan>): RegionScan {
    return {
      account: "111111111111",
      region: "us-east-1",
      owned: [],
      used: new Map(),
      uses: [],
      guardrails: {},
      ...over,
    };
  }

  it("reports in-use-but-stale images with the resources that still run them, and missing ones", () => {
    const old = {
      ImageId: "ami-old",
      OwnerId: "111111111111",
      State: "available",
      CreationDate: "2024-01-01T00:00:00Z",
    };
    const uses = [
      ...Array.from({ length: 7 }, (_, i) => ({
        imageId: "ami-old",
        resource: `i-${i}`,
        kind: "instance" as const,
      })),
      { imageId: "ami-gone", resource: "lt-1 (web, version 2)", kind: "launch-template" as const },
    ];
    const cfg = parseConfig(
      { [RULES.untrusted]: { trustedOwners: ["111111111111"] }, [RULES.untagged]: "disabled" },
      "p",
    );
    const out = judgeRegionImages(
      scan({
        owned: [{ image: old, launchPermissions: [] }],
        used: new Map([["ami-gone", "not-found"]]),
        uses,
      }),
      cfg,
      NOW,
    );
    const stale = out.find((f) => f.rule === RULES.stale)!;
    assert.match(
      stale.message,
      /is \d+ days old .* It is still in use by 7 resource\(s\): i-0, i-1, i-2, i-3, i-4 and 2 more\.$/,
    );
    assert.equal(stale.usedBy?.length, 7);
    const missing = out.find((f) => f.rule === RULES.missing)!;
    assert.equal(missing.severity, "high");
    assert.match(
      missing.message,
      /^AMI ami-gone was not found in us-east-1: .* still in use by 1 resource\(s\): lt-1 \(web, version 2\)\.$/,
    );
    assert.equal(out.filter((f) => f.rule === RULES.untagged).length, 0, "a disabled policy is not audited");
  });

  it("does not judge an in-use image it could not read, nor an owned image twice", () => {
    const img = {
      ImageId: "ami-1",
      OwnerId: "111111111111",
      State: "available",
      CreationDate: "2025-05-30T00:00:00Z",
      Public: true,
    };
    const out = judgeRegionImages(
      scan({
        owned: [{ image: img, launchPermissions: [{ Group: "all" }] }],
        used: new Map<string, "error" | typeof img>([
          ["ami-err", "error"],
          ["ami-1", img],
        ]),
        uses: [
          { imageId: "ami-1", resource: "i-1", kind: "instance" },
          { imageId: "ami-err", resource: "i-2", kind: "instance" },
        ],
      }),
      parseConfig({}, "p"),
      NOW,
    );
    assert.equal(out.filter((f) => f.imageId === "ami-err").length, 0);
    assert.equal(
      out.filter((f) => f.rule === RULES.shared && f.severity === "critical").length,
      1,
      "public reported once, not also as a permission",
    );
  });

  it("sorts most severe first, account guardrails before images, deterministically", () => {
    const f = (severity: AuditFinding["severity"], resource: string, region = "us-east-1"): AuditFinding => ({
      account: "1",
      region,
      resource,
      rule: "r",
      severity,
      message: "m",
      fix: "x",
    });
    const sorted = sortFindings([
      f("low", "ami-b"),
      f("critical", "ami-z"),
      f("low", "account"),
      f("low", "ami-a", "eu-west-1"),
    ]);
    assert.deepEqual(
      sorted.map((x) => `${x.severity}/${x.region}/${x.resource}`),
      ["critical/us-east-1/ami-z", "low/eu-west-1/ami-a", "low/us-east-1/account", "low/us-east-1/ami-b"],
    );
  });
});

describe("guardrail rules", () => {
  const settingsFor = () => defaults;
  const judge = (g: Parameters<typeof judgeRegionGuardrails>[0], s = settingsFor) =>
    judgeRegionGuardrails(g, "111111111111", "us-east-1", s);

  it("passes a fully guarded region and judges nothing it could not read", () => {
    assert.deepEqual(
      judge({
        ebsEncryptionByDefault: true,
        ebsDefaultKmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/abc",
        imageBlockPublicAccess: "block-new-sharing",
        snapshotBlockPublicAccess: "block-all-sharing",
        allowedImages: { state: "enabled", criteria: 1 },
        inspectorEc2: "ENABLED",
      }),
      [],
    );
    assert.deepEqual(judge({}), []);
  });

  it("flags each guardrail that is off, with its own rule, severity and fix", () => {
    const out = judge({
      ebsEncryptionByDefault: false,
      ebsDefaultKmsKeyId: "alias/aws/ebs",
      imageBlockPublicAccess: "unblocked",
      snapshotBlockPublicAccess: "unblocked",
      allowedImages: { state: "disabled", criteria: 0 },
      inspectorEc2: "DISABLED",
    });
    assert.deepEqual(
      out.map((f) => [f.rule, f.severity]),
      [
        [GUARDRAIL_RULES.ebsEncryption, "high"],
        [GUARDRAIL_RULES.ebsDefaultKey, "low"],
        [GUARDRAIL_RULES.imageBlockPublicAccess, "high"],
        [GUARDRAIL_RULES.snapshotBlockPublicAccess, "high"],
        [GUARDRAIL_RULES.allowedAmis, "medium"],
        [GUARDRAIL_RULES.inspector, "medium"],
      ],
    );
    for (const f of out) {
      assert.match(f.message, /account 111111111111 in us-east-1/);
      assert.match(f.fix, /--region us-east-1|aws /);
    }
  });

  it("checks the default key against allowedKmsKeys", () => {
    const s = () => ({ ...defaults, allowedKmsKeys: ["arn:aws:kms:us-east-1:111111111111:key/good"] });
    assert.deepEqual(judge({ ebsDefaultKmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/good" }, s), []);
    const bad = judge({ ebsDefaultKmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/other" }, s);
    assert.equal(bad.length, 1);
    assert.equal(bad[0].severity, "medium");
    assert.match(bad[0].message, /not one of the allowed KMS keys/);
  });
});
