/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { AccountGuardrails } from "../../components/account-guardrails";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

describe("AccountGuardrails", function () {
  let rec: Recorder;
  before(async function () {
    rec = await installMocks();
  });

  for (const state of ["audit-mode", "enabled"] as const) {
    it(`blocks public sharing, sets Allowed AMIs (${state}) and Recycle Bin rules`, async function () {
      const name = `g-${state}`;
      const g = new AccountGuardrails(name, {
        accountId: "111111111111",
        allowedImagesState: state,
        allowedImageProviders: ["amazon", "111111111111", "222222222222"],
        maxImageAgeDays: 45,
        snapshotBlockPublicAccessState: "block-all-sharing",
        recycleBinRetentionDays: 14,
        tags: { ManagedBy: "ami-guard" },
      });
      await settle(g.allowedImagesState, g.imageBlockPublicAccessState);
      const urn = await promiseOf(g.urn);
      assert.deepEqual(
        rec.registrations
          .filter((r) => r.parent === urn)
          .map((r) => r.type)
          .sort(),
        [
          "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess",
          "aws:ec2/allowedImagesSettings:AllowedImagesSettings",
          "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess",
          "aws:rbin/rule:Rule",
          "aws:rbin/rule:Rule",
        ],
      );
      assert.equal(
        rec.one("aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess", `${name}-image-block-public-access`)
          .inputs.state,
        "block-new-sharing",
      );
      assert.equal(
        rec.one(
          "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess",
          `${name}-snapshot-block-public-access`,
        ).inputs.state,
        "block-all-sharing",
      );
      const allowed = rec.one("aws:ec2/allowedImagesSettings:AllowedImagesSettings", `${name}-allowed-images`)
        .inputs as Record<string, any>;
      assert.equal(allowed.state, state);
      assert.deepEqual(allowed.imageCriterions, [
        {
          imageProviders: ["111111111111", "amazon", "222222222222"],
          creationDateCondition: { maximumDaysSinceCreated: 45 },
        },
      ]);
      for (const [suffix, type] of [
        ["images", "EC2_IMAGE"],
        ["snapshots", "EBS_SNAPSHOT"],
      ]) {
        const rule = rec.one("aws:rbin/rule:Rule", `${name}-recycle-bin-${suffix}`).inputs as Record<
          string,
          any
        >;
        assert.equal(rule.resourceType, type);
        assert.deepEqual(rule.retentionPeriod, { retentionPeriodUnit: "DAYS", retentionPeriodValue: 14 });
        assert.equal(rule.resourceTags, undefined, "the rule covers every AMI/snapshot of the region");
      }
    });
  }
});
