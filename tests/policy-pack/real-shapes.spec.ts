/**
 * Real-world image shapes (tests/fixtures/shapes) fed to every fact policy through the runtime-like harness and
 * to the audit's judge: each shape that used to pass silently now fails closed with a message that says why,
 * and the rows that must stay allowed stay allowed.
 */
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ec2AmiRequireEncryption } from "../../policy-pack/policies/ec2-ami-require-encryption";
import { ec2AmiDisallowStaleImage } from "../../policy-pack/policies/ec2-ami-disallow-stale-image";
import { ec2AmiDisallowPublicSharing } from "../../policy-pack/policies/ec2-ami-disallow-public-sharing";
import { ec2AmiDisallowUntrustedOwner } from "../../policy-pack/policies/ec2-ami-disallow-untrusted-owner";
import { ec2AmiRequireTags } from "../../policy-pack/policies/ec2-ami-require-tags";
import { factsFromImage, parseTimestamp } from "../../policy-pack/rules/facts";
import { RULES } from "../../policy-pack/rules/rules";
import { parseConfig } from "../../src/audit/config";
import { judgeRegionImages } from "../../src/audit/judge";
import { NOW, runPolicy, useImages } from "../helpers/policy";
import * as shapes from "../fixtures/shapes/images";
import type { RegionScan } from "../../src/audit/model";

const POLICIES: Record<string, ResourceValidationPolicy> = {
  [RULES.unencrypted]: ec2AmiRequireEncryption,
  [RULES.stale]: ec2AmiDisallowStaleImage,
  [RULES.shared]: ec2AmiDisallowPublicSharing,
  [RULES.untrusted]: ec2AmiDisallowUntrustedOwner,
  [RULES.untagged]: ec2AmiRequireTags,
};

/** Every fact policy's violations for an instance launching `image`, keyed by policy. */
async function pack(
  image: Record<string, unknown>,
  settings: Record<string, unknown> = shapes.SETTINGS,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, policy] of Object.entries(POLICIES)) {
    const r = await runPolicy(policy, {
      type: "aws:ec2/instance:Instance",
      props: { ami: image.ImageId, instanceType: "t3.micro" },
      providerProps: { region: shapes.REGION },
      config: settings,
    });
    if (r.violations.length) out[name] = r.violations;
  }
  return out;
}

/** The audit's findings for `image` owned by the audited account (launch permissions as the fixture has them). */
function audit(image: Record<string, unknown>, settings: Record<string, unknown> = shapes.SETTINGS) {
  const cfg = parseConfig(Object.fromEntries(Object.values(RULES).map((r) => [r, settings])), "shapes");
  const { LaunchPermissions, ...raw } = image as { LaunchPermissions?: never[] };
  const scan: RegionScan = {
    account: shapes.OURS,
    region: shapes.REGION,
    owned: [{ image: raw as RegionScan["owned"][number]["image"], launchPermissions: LaunchPermissions }],
    used: new Map(),
    uses: [],
    guardrails: {} as RegionScan["guardrails"],
  };
  const byRule: Record<string, string[]> = {};
  for (const f of judgeRegionImages(scan, cfg, NOW)) (byRule[f.rule] ??= []).push(f.message);
  return byRule;
}

describe("real-world image shapes, through the pack and the audit", () => {
  beforeEach(() => useImages(shapes.ALL));

  it("allows an encrypted EBS image under an allowed key ARN, in the pack and the audit", async () => {
    assert.deepEqual(await pack(shapes.ENCRYPTED), {});
    assert.deepEqual(audit(shapes.ENCRYPTED), {});
  });

  it("fails an instance-store image: nothing in it is KMS-encrypted", async () => {
    const r = await pack(shapes.INSTANCE_STORE);
    assert.deepEqual(Object.keys(r), [RULES.unencrypted]);
    assert.match(
      r[RULES.unencrypted][0],
      /ami-0e5c1a7b3d9f24602 has no EBS snapshot .*instance store.*nothing in it is KMS-encrypted/,
    );
    assert.match(audit(shapes.INSTANCE_STORE)[RULES.unencrypted][0], /instance store/);
  });

  it("fails an image with no block device mappings", async () => {
    const r = await pack(shapes.NO_MAPPINGS);
    assert.deepEqual(Object.keys(r), [RULES.unencrypted]);
    assert.match(r[RULES.unencrypted][0], /no block device mappings, so nothing in it is KMS-encrypted/);
    const { BlockDeviceMappings: _, ...without } = shapes.NO_MAPPINGS;
    assert.match(audit(without)[RULES.unencrypted][0], /no block device mappings/);
  });

  it("says an encrypted snapshot's key was not reported (never 'the AWS managed key'), failing closed under allowedKmsKeys", async () => {
    const r = await pack(shapes.ENCRYPTED_NO_KEY);
    assert.deepEqual(Object.keys(r), [RULES.unencrypted]);
    assert.match(r[RULES.unencrypted][0], /snap-0c4d2e19a7b3f5604: the key was not reported/);
    assert.doesNotMatch(r[RULES.unencrypted][0], /managed key/);
    assert.deepEqual(await pack(shapes.ENCRYPTED_NO_KEY, { ...shapes.SETTINGS, allowedKmsKeys: [] }), {});
    assert.match(audit(shapes.ENCRYPTED_NO_KEY)[RULES.unencrypted][0], /the key was not reported/);
  });

  it("fails the stale rule on a deprecation time that does not parse, quoting it", async () => {
    const r = await pack(shapes.BAD_DEPRECATION);
    assert.deepEqual(Object.keys(r), [RULES.stale]);
    assert.match(r[RULES.stale][0], /deprecation time that does not parse \("2026-10-02T11:15:731\.000Z"\)/);
    assert.match(audit(shapes.BAD_DEPRECATION)[RULES.stale][0], /does not parse/);
  });

  it("fails the stale rule on a creation date that does not parse, quoting it", async () => {
    const r = await pack(shapes.BAD_CREATION);
    assert.deepEqual(Object.keys(r), [RULES.stale]);
    assert.match(r[RULES.stale][0], /creation date that does not parse \("11"\)/);
    assert.match(audit(shapes.BAD_CREATION)[RULES.stale][0], /creation date that does not parse/);
  });

  it("parses only well-formed timestamps", () => {
    assert.equal(parseTimestamp("2026-11-20T07:41:12.000Z")?.toISOString(), "2026-11-20T07:41:12.000Z");
    assert.equal(parseTimestamp("2026-11-20T07:41:12Z")?.toISOString(), "2026-11-20T07:41:12.000Z");
    assert.equal(parseTimestamp("2026-11-20T09:41:12.5+02:00")?.toISOString(), "2026-11-20T07:41:12.500Z");
    for (const bad of ["2026-10-02T11:15:731.000Z", "2026-02-30T00:00:00Z", "11", "2026-11-20", "", "soon"])
      assert.equal(parseTimestamp(bad), undefined, bad);
    assert.equal(factsFromImage({ ...shapes.BAD_CREATION })!.creationDateText, "11");
  });

  it("allows AWS's own public image (booleans as strings) for trust, sharing, tags and age", async () => {
    const r = await pack(shapes.AWS_PUBLIC);
    assert.deepEqual(Object.keys(r), [RULES.unencrypted], "only its unencrypted snapshot is a finding");
  });

  it("makes an image a provider's only for amazon, aws-marketplace and aws-backup-vault", async () => {
    for (const own of [shapes.ALIAS_ACCOUNT_ID, shapes.ALIAS_SELF]) {
      const r = await pack(own);
      assert.deepEqual(Object.keys(r), [RULES.shared], String(own.ImageOwnerAlias));
      assert.equal(r[RULES.shared].length, 2);
      assert.match(r[RULES.shared][0], /is public/);
      assert.match(r[RULES.shared][1], new RegExp(`outside the allow-list: account ${shapes.STRANGER}`));
      assert.equal(audit(own)[RULES.shared].length, 2);
    }
    // An alias holding a trusted account id does not make a stranger's image trusted either.
    const forged = { ...shapes.FOREIGN, ImageOwnerAlias: shapes.OURS };
    assert.match((await pack(forged))[RULES.untrusted][0], new RegExp(`owned by ${shapes.STRANGER}`));
    for (const alias of ["amazon", "aws-marketplace", "aws-backup-vault"])
      assert.equal(factsFromImage({ ...shapes.ALIAS_ACCOUNT_ID, ImageOwnerAlias: alias })!.ownerAlias, alias);
  });

  it("turns ImageAllowed: false (Allowed AMIs in audit mode) into an untrusted-owner finding", async () => {
    const r = await pack(shapes.NOT_ALLOWED);
    assert.deepEqual(Object.keys(r), [RULES.untrusted]);
    assert.match(
      r[RULES.untrusted][0],
      /ami-0e5c1a7b3d9f2460a does not meet the account's EC2 Allowed AMIs criteria/,
    );
    assert.match(audit(shapes.NOT_ALLOWED)[RULES.untrusted][0], /ImageAllowed: false/);
    assert.deepEqual(await pack({ ...shapes.ENCRYPTED, ImageAllowed: true }), {});
  });

  it("leaves a stranger's image without LaunchPermissions to the trust rule", async () => {
    const r = await pack(shapes.FOREIGN);
    assert.deepEqual(Object.keys(r), [RULES.untrusted]);
  });

  it("cannot vouch for the sharing of our own image from an inventory without LaunchPermissions", async () => {
    const unvouched: Record<string, unknown> = { ...shapes.ENCRYPTED, ImageId: "ami-0e5c1a7b3d9f2460c" };
    delete unvouched.LaunchPermissions;
    useImages([...shapes.ALL, unvouched]);
    const r = await pack(unvouched);
    assert.deepEqual(Object.keys(r), [RULES.shared]);
    assert.match(
      r[RULES.shared][0],
      /cannot verify who AMI ami-0e5c1a7b3d9f2460c \(owned by 210987654321\) in eu-central-1 is shared with: the inventory test inventory has no LaunchPermissions/,
    );
    const owned = audit(unvouched);
    assert.match(owned[RULES.shared][0], /cannot verify who AMI ami-0e5c1a7b3d9f2460c/);
  });
});
