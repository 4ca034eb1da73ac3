/**
 * The audit never reports "complete" over something it did not see, and never runs unbounded, against the
 * loopback endpoint: an image attribute answer without launch permissions, launch template versions that Auto
 * Scaling groups and fleets pin (not only $Default/$Latest), a launch template image EC2 did not resolve, and
 * a listing that hands out a new NextToken on every page.
 */
import { strict as assert } from "node:assert";
import { runAudit } from "../../src/audit/audit";
import { MAX_PAGES } from "../../src/audit/aws";
import { ec2Response, type Ec2Handler } from "../../testing/ec2-server";
import { ACCOUNT, NOW, scenario } from "../fixtures/audit/scenario";
import { testOptions, useAuditLoopback } from "./support";
import type { World } from "../../testing/world";
import type { AuditReport } from "../../src/audit/model";

const REGION = "us-east-1";
const PINNED_ONLY = "ami-0fffffffffffffff1"; // a community image only a pinned, non-default version launches
const FLEET_ONLY = "ami-0fffffffffffffff2"; // a community image only a fleet's pinned version launches
const SPOT_ONLY = "ami-0fffffffffffffff3"; // a community image a Spot Fleet's launch specification names

function community(id: string): Record<string, unknown> {
  return {
    ImageId: id,
    Name: `community-${id}`,
    OwnerId: "333333333333",
    State: "available",
    Public: true,
    CreationDate: "2025-05-10T00:00:00.000Z",
    BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: `snap-${id}`, Encrypted: false } }],
  };
}

describe("the audit never goes quiet, never runs unbounded (loopback endpoint)", function () {
  this.timeout(120_000);
  const lb = useAuditLoopback();

  async function audit(
    world: World,
    over: (h: Record<string, Ec2Handler>) => Record<string, Ec2Handler> = (h) => h,
  ): Promise<AuditReport> {
    await lb.start(world, over);
    return runAudit(testOptions({ regions: [REGION], now: NOW }));
  }

  const region = (w: World) => w.accounts[ACCOUNT].regions[REGION];
  const usersOf = (r: AuditReport, imageId: string) => [
    ...new Set(r.findings.filter((f) => f.imageId === imageId).flatMap((f) => f.usedBy ?? [])),
  ];

  describe("DescribeImageAttribute launchPermission", () => {
    it("an answer without the launchPermission list is not 'shared with nobody': partial, naming the image and region", async () => {
      const w = scenario();
      const silent = String(region(w).owned[0].ImageId);
      const r = await audit(w, (h) => ({
        ...h,
        DescribeImageAttribute: (req) =>
          req.params.ImageId === silent
            ? ec2Response("DescribeImageAttribute", { imageId: silent })
            : h.DescribeImageAttribute(req),
      }));
      assert.equal(r.summary.complete, false);
      const e = r.summary.errors.filter((x) => /DescribeImageAttribute launchPermission/.test(x.step));
      assert.equal(e.length, 1, JSON.stringify(r.summary.errors));
      assert.equal(e[0].region, REGION);
      assert.equal(e[0].account, ACCOUNT);
      assert.match(e[0].step, /\(1 of 3 images\)/);
      assert.match(e[0].cause, new RegExp(`^${silent}: MalformedResponse: .*no launchPermission list`));
    });

    it("an empty launchPermission list is 'shared with nobody', and the audit is complete", async () => {
      const w = scenario();
      region(w).launchPermissions = {};
      const r = await audit(w);
      assert.equal(r.summary.complete, true, JSON.stringify(r.summary.errors));
    });
  });

  describe("launch template versions that groups and fleets pin", () => {
    function pinnedWorld(): World {
      const w = scenario();
      w.foreign![REGION].push(community(PINNED_ONLY), community(FLEET_ONLY), community(SPOT_ONLY));
      const good = String(region(w).owned[0].ImageId);
      region(w).templates!.push(
        // lt-…3: version 1 is neither $Default nor $Latest, yet the group launches it.
        {
          LaunchTemplateId: "lt-00000000000000003",
          LaunchTemplateName: "legacy",
          VersionNumber: 1,
          ImageId: PINNED_ONLY,
          DefaultVersion: false,
        },
        {
          LaunchTemplateId: "lt-00000000000000003",
          LaunchTemplateName: "legacy",
          VersionNumber: 2,
          ImageId: good,
        },
        {
          LaunchTemplateId: "lt-00000000000000003",
          LaunchTemplateName: "legacy",
          VersionNumber: 3,
          ImageId: good,
          DefaultVersion: false,
        },
        {
          LaunchTemplateId: "lt-00000000000000004",
          LaunchTemplateName: "spot",
          VersionNumber: 4,
          ImageId: FLEET_ONLY,
          DefaultVersion: false,
        },
        {
          LaunchTemplateId: "lt-00000000000000004",
          LaunchTemplateName: "spot",
          VersionNumber: 5,
          ImageId: good,
        },
      );
      region(w).autoScalingGroups = [
        {
          AutoScalingGroupName: "asg-legacy",
          LaunchTemplate: { LaunchTemplateId: "lt-00000000000000003", Version: "1" },
        },
        { AutoScalingGroupName: "asg-default", LaunchTemplate: { LaunchTemplateName: "legacy" } },
      ];
      region(w).fleets = [
        { FleetId: "fleet-0001", LaunchTemplate: { LaunchTemplateName: "spot", Version: "4" } },
        // A deleted fleet launches nothing: its pinned version is not read.
        {
          FleetId: "fleet-0002",
          FleetState: "deleted",
          LaunchTemplate: { LaunchTemplateId: "lt-00000000000000009", Version: "9" },
        },
      ];
      region(w).spotFleets = [{ SpotFleetRequestId: "sfr-0001", ImageIds: [SPOT_ONLY] }];
      return w;
    }

    it("judges the image of the version an Auto Scaling group pins, naming the group", async () => {
      const r = await audit(pinnedWorld());
      assert.equal(r.summary.complete, true, JSON.stringify(r.summary.errors));
      const users = usersOf(r, PINNED_ONLY);
      assert.deepEqual(users, [
        "lt-00000000000000003 (legacy, version 1, pinned by Auto Scaling group asg-legacy)",
      ]);
      assert.ok(
        r.findings.some((f) => f.imageId === PINNED_ONLY && f.rule === "ec2-ami-disallow-untrusted-owner"),
        "the pinned version's community image is a finding",
      );
    });

    it("judges the images EC2 Fleets and Spot Fleets launch, and leaves deleted fleets out", async () => {
      const r = await audit(pinnedWorld());
      assert.deepEqual(usersOf(r, FLEET_ONLY), [
        "lt-00000000000000004 (spot, version 4, pinned by EC2 Fleet fleet-0001)",
      ]);
      assert.deepEqual(usersOf(r, SPOT_ONLY), ["Spot Fleet request sfr-0001"]);
      assert.ok(
        !JSON.stringify(r).includes("lt-00000000000000009"),
        "the deleted fleet's template is not read",
      );
      assert.equal(lb.server.calls.DescribeAutoScalingGroups, 1);
      assert.equal(lb.server.calls.DescribeFleets, 1);
      assert.equal(lb.server.calls.DescribeSpotFleetRequests, 1);
    });

    it("a pinned version that cannot be read makes the audit partial, naming the template, version and group", async () => {
      const w = pinnedWorld();
      region(w).autoScalingGroups!.push({
        AutoScalingGroupName: "asg-gone",
        LaunchTemplate: { LaunchTemplateId: "lt-00000000000000003", Version: "8" },
      });
      const r = await audit(w);
      assert.equal(r.summary.complete, false);
      const e = r.summary.errors.find((x) => /lt-00000000000000003/.test(x.step));
      assert.ok(e, JSON.stringify(r.summary.errors));
      assert.match(
        e.step,
        /version\(s\) 1, 8 \(pinned by Auto Scaling group asg-legacy, Auto Scaling group asg-gone\)/,
      );
      assert.match(e.cause, /VersionNotFound/);
    });

    it("a version whose image EC2 did not resolve (resolve:ssm:) and SSM cannot answer is not dropped: partial, naming the version", async () => {
      const w = scenario();
      region(w).templates!.push({
        LaunchTemplateId: "lt-00000000000000005",
        LaunchTemplateName: "ssm",
        VersionNumber: 2,
        ImageId: "resolve:ssm:/golden/ami-id",
      });
      // The world serves no SSM: GetParameters fails, so the parameter cannot be resolved.
      const r = await audit(w);
      assert.equal(r.summary.complete, false);
      const e = r.summary.errors.filter((x) => /^ssm:GetParameters/.test(x.step));
      assert.equal(e.length, 1, JSON.stringify(r.summary.errors));
      assert.match(
        e[0].step,
        /\/golden\/ami-id \(image of launch template lt-00000000000000005 \(ssm, version 2\)\)/,
      );
      assert.equal(e[0].region, REGION);
    });

    it("a version whose image is neither an AMI id nor an SSM reference is not dropped: partial, naming the version", async () => {
      const w = scenario();
      region(w).templates!.push({
        LaunchTemplateId: "lt-00000000000000005",
        LaunchTemplateName: "odd",
        VersionNumber: 2,
        ImageId: "golden-latest",
      });
      const r = await audit(w);
      assert.equal(r.summary.complete, false);
      const e = r.summary.errors.filter((x) => /image not resolved/.test(x.step));
      assert.equal(e.length, 1, JSON.stringify(r.summary.errors));
      assert.match(e[0].cause, /lt-00000000000000005 \(odd, version 2\) launches "golden-latest"/);
      assert.equal(e[0].region, REGION);
    });
  });

  describe("pagination", () => {
    it(`stops a listing that hands out a new NextToken on every page at ${MAX_PAGES} pages, and says so`, async () => {
      const r = await audit(scenario(), (h) => ({
        ...h,
        DescribeInstances: (req) =>
          ec2Response("DescribeInstances", {
            reservationSet: [],
            nextToken: `token-${req.attempt}`,
          }),
      }));
      assert.equal(r.summary.complete, false);
      const e = r.summary.errors.find((x) => x.step === "ec2:DescribeInstances");
      assert.ok(e, JSON.stringify(r.summary.errors));
      assert.match(e.cause, new RegExp(`PaginationLimit: stopped after ${MAX_PAGES} pages`));
      assert.equal(lb.server.calls.DescribeInstances, MAX_PAGES);
    });
  });
});
