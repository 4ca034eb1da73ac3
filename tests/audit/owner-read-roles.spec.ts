/**
 * The audit's organisation view against the loopback endpoint: a workload account runs golden images that the
 * image-build account owns and shares. EC2 answers by caller (tags per account, launch permissions owner-only),
 * so only through the build account's owner read role (ownerReadRoles) are the images judged on their real
 * tags and sharing; the report groups the images in use by owner account.
 */
import { strict as assert } from "node:assert";
import { parseConfig } from "../../src/audit/config";
import { runAudit } from "../../src/audit/audit";
import { toJson, toTable } from "../../src/audit/report";
import { image } from "../helpers/policy";
import { testOptions, useAuditLoopback } from "./support";
import type { World } from "../../testing/world";

const BUILD = "444444444444";
const WORKLOAD = "555555555555";
const ROLE = `arn:aws:iam::${BUILD}:role/ami-guard/ami-owner-read`;
const OU = "arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456";
const GOOD = "ami-0a000000000000001";
const UNAPPROVED = "ami-0a000000000000002";
const PUBLIC = "ami-0a000000000000003";
const NOW = new Date("2026-11-29T00:00:00Z");

const golden = (id: string, approved = "true") =>
  image({
    ImageId: id,
    OwnerId: BUILD,
    CreationDate: "2026-11-20T00:00:00.000Z",
    Tags: [
      { Key: "Version", Value: "1.0.0" },
      { Key: "Environment", Value: "build" },
      { Key: "Approved", Value: approved },
    ],
  });

function estate(): World {
  return {
    base: WORKLOAD,
    tagsPerAccount: true,
    accounts: {
      [WORKLOAD]: {
        regions: {
          "us-east-1": {
            owned: [],
            instances: [
              { InstanceId: "i-0000000000000001", ImageId: GOOD },
              { InstanceId: "i-0000000000000002", ImageId: GOOD },
              { InstanceId: "i-0000000000000003", ImageId: UNAPPROVED },
              { InstanceId: "i-0000000000000004", ImageId: PUBLIC },
            ],
          },
        },
      },
      [BUILD]: {
        regions: {
          "us-east-1": {
            owned: [golden(GOOD), golden(UNAPPROVED, "false"), golden(PUBLIC)],
            launchPermissions: {
              [GOOD]: [{ OrganizationalUnitArn: OU }],
              [UNAPPROVED]: [{ OrganizationalUnitArn: OU }],
              [PUBLIC]: [{ Group: "all" }],
            },
          },
        },
      },
    },
  };
}

const settings = (roles: Record<string, string>) =>
  parseConfig(
    {
      "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", BUILD] },
      "ec2-ami-require-tags": { ownerReadRoles: roles },
      "ec2-ami-disallow-public-sharing": {
        trustedOwners: ["amazon", BUILD],
        allowedOrganizationalUnits: [OU],
        ownerReadRoles: roles,
      },
    },
    "estate.json",
  );

describe("ami-guard audit: the organisation view (owners' facts through ownerReadRoles)", function () {
  this.timeout(60_000);
  const lb = useAuditLoopback();
  let assumed: Record<string, string>[];

  async function start(world: World) {
    assumed = [];
    await lb.start(world, (h) => ({
      ...h,
      AssumeRole: (r) => {
        assumed.push({ ...r.params });
        return h.AssumeRole(r);
      },
    }));
  }

  const imageFindings = (r: Awaited<ReturnType<typeof runAudit>>) =>
    r.findings.filter(
      (f) => f.imageId && (f.rule === "ec2-ami-require-tags" || f.rule === "ec2-ami-disallow-public-sharing"),
    );

  it("judges in-use images on the owner's tags and launch permissions, and groups them by owner account", async () => {
    await start(estate());
    const r = await runAudit(testOptions({ config: settings({ [BUILD]: ROLE }), now: NOW }));
    assert.equal(r.summary.complete, true, JSON.stringify(r.summary.errors));
    const found = imageFindings(r);
    assert.deepEqual(found.map((f) => [f.imageId, f.rule, f.severity]).sort(), [
      [UNAPPROVED, "ec2-ami-require-tags", "low"],
      [PUBLIC, "ec2-ami-disallow-public-sharing", "critical"],
    ]);
    assert.match(found.find((f) => f.imageId === UNAPPROVED)!.message, /Approved="false"/);
    for (const f of found) {
      assert.equal(f.account, WORKLOAD);
      assert.equal(f.owner, BUILD);
    }
    assert.deepEqual(r.summary.byOwner, { [BUILD]: { imagesInUse: 3, findings: 2, ownerView: true } });
    // One AssumeRole for the run (900 s, session named for the audit); per image one owner DescribeImages
    // (batched) and one DescribeImageAttribute.
    assert.equal(assumed.length, 1);
    assert.equal(assumed[0].RoleArn, ROLE);
    assert.equal(assumed[0].DurationSeconds, "900");
    assert.equal(assumed[0].RoleSessionName, "ami-guard-audit");
    assert.equal(r.summary.apiCalls["OwnerRead:AssumeRole"], 1);
    assert.equal(r.summary.apiCalls["OwnerRead:DescribeImages"], 1);
    assert.equal(r.summary.apiCalls["OwnerRead:DescribeImageAttribute"], 3);
    const json = JSON.parse(toJson(r)) as { findings: { ownerAccount?: string }[] };
    assert.ok(json.findings.some((f) => f.ownerAccount === BUILD));
    assert.match(
      toTable(r, 200),
      /IN USE, BY OWNER ACCOUNT\n {2}444444444444: 3 images in use, 2 findings \(tags and launch permissions read as the owner sees them\)/,
    );
  });

  it("without ownerReadRoles: says the tags are not visible here and the sharing cannot be verified", async () => {
    await start(estate());
    const r = await runAudit(testOptions({ config: settings({}), now: NOW }));
    assert.equal(r.summary.complete, true);
    const found = imageFindings(r);
    for (const id of [GOOD, UNAPPROVED, PUBLIC]) {
      const tags = found.find((f) => f.imageId === id && f.rule === "ec2-ami-require-tags");
      assert.match(tags!.message, /are not visible here/, id);
      const sharing = found.find((f) => f.imageId === id && f.rule === "ec2-ami-disallow-public-sharing");
      assert.match(sharing!.message, /cannot be verified from this account/, id);
    }
    assert.equal(assumed.length, 0);
    assert.deepEqual(r.summary.byOwner, { [BUILD]: { imagesInUse: 3, findings: 6, ownerView: false } });
  });

  it("is partial, naming the role and the cause, when the owner read role cannot be assumed", async () => {
    // The build account's images are shared with the workload, but its read role refuses this caller.
    const world = estate();
    const build = world.accounts[BUILD].regions["us-east-1"].owned;
    delete world.accounts[BUILD];
    await start({ ...world, foreign: { "us-east-1": build } });
    const r = await runAudit(testOptions({ config: settings({ [BUILD]: ROLE }), now: NOW }));
    assert.equal(r.summary.complete, false);
    assert.equal(r.summary.errors.length, 3, "one failed owner's view per image");
    assert.match(
      r.summary.errors[0].step,
      /^owner's view of ami-0a00000000000000[123] \(owner account 444444444444, role arn:aws:iam::444444444444:role\/ami-guard\/ami-owner-read\)$/,
    );
    assert.match(r.summary.errors[0].cause, /^the role could not be assumed \(sts:AssumeRole: AccessDenied/);
    // Nothing is judged as if it were fine: each image's tags and sharing fail closed, naming the role.
    for (const f of imageFindings(r))
      assert.match(f.message, /cannot read the (tags|launch permissions) of AMI .* Failing closed/);
    assert.equal(imageFindings(r).length, 6);
  });
});
