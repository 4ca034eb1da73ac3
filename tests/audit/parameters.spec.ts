/**
 * The audit on launch template versions whose image is `resolve:ssm:…` (EC2 left it unresolved), against the
 * loopback endpoint: resolved through SSM GetParameters and judged; a parameter that does not exist, cannot be
 * read or holds no AMI id makes the audit partial, naming the template and the parameter; the exported
 * inventory carries the parameters read, and the pack reads them back.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../../policy-pack/rules/rules";
import { readReferenceInventory } from "../../policy-pack/aws/references";
import { parseParameterReference, type ParameterRef } from "../../policy-pack/aws/ssm";
import { runAudit } from "../../src/audit/audit";
import { jsonError, jsonResponse, type Ec2Handler } from "../../testing/ec2-server";
import { runCli, testOptions, useAuditLoopback } from "./support";
import type { World } from "../../testing/world";

const ACCOUNT = "111111111111";
const COMMUNITY = "ami-0cccccccccccccc01";

const world = (): World => ({
  base: ACCOUNT,
  accounts: {
    [ACCOUNT]: {
      regions: {
        "us-east-1": {
          owned: [],
          templates: [
            {
              LaunchTemplateId: "lt-0000000000000web",
              LaunchTemplateName: "web",
              VersionNumber: 3,
              ImageId: "resolve:ssm:/golden/web",
            },
            {
              LaunchTemplateId: "lt-000000000000batch",
              LaunchTemplateName: "batch",
              VersionNumber: 1,
              ImageId: "resolve:ssm:/golden/web",
            },
          ],
          ebsEncryptionByDefault: true,
          imageBlockPublicAccess: "block-new-sharing",
          snapshotBlockPublicAccess: "block-all-sharing",
          allowedImages: { State: "enabled", criteria: 1 },
          inspectorEc2: "ENABLED",
        },
      },
    },
  },
  foreign: {
    "us-east-1": [
      {
        ImageId: COMMUNITY,
        Name: "community",
        OwnerId: "999999999999",
        State: "available",
        Public: true,
        CreationDate: "2025-05-20T00:00:00.000Z",
        RootDeviceType: "ebs",
        BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-1", Encrypted: true } }],
      },
    ],
  },
});

/** SSM's GetParameters over `values` (name → value), as SSM answers. */
const ssm =
  (values: Record<string, string>): Ec2Handler =>
  (r) => {
    const names = (r.json as { Names: string[] }).Names;
    return jsonResponse({
      Parameters: names
        .filter((n) => n in values)
        .map((Name) => ({
          Name,
          Value: values[Name],
          Version: 2,
          Type: "String",
          DataType: "aws:ec2:image",
          ARN: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${Name}`,
          LastModifiedDate: 1748736000,
        })),
      InvalidParameters: names.filter((n) => !(n in values)),
    });
  };

describe("audit: launch template images named through SSM parameters", function () {
  this.timeout(60_000);
  const lb = useAuditLoopback("ami-guard-audit-ssm-");
  const start = (getParameters: Ec2Handler) =>
    lb.start(world(), (h) => ({ ...h, GetParameters: getParameters }));

  it("resolves the parameter once and judges the image it names, naming template and parameter", async () => {
    await start(ssm({ "/golden/web": COMMUNITY }));
    const report = await runAudit(testOptions({ config: testOptions().config }));
    assert.equal(report.summary.complete, true, JSON.stringify(report.summary.errors));
    assert.equal(report.summary.apiCalls.GetParameters, 1, "one call for the parameter both templates use");
    assert.equal(report.summary.launchTemplateVersionsScanned, 2);
    const untrusted = report.findings.find((f) => f.rule === RULES.untrusted && f.imageId === COMMUNITY);
    assert.ok(untrusted, JSON.stringify(report.findings.map((f) => f.rule)));
    assert.deepEqual(untrusted.usedBy?.sort(), [
      "lt-0000000000000web (web, version 3) via SSM parameter /golden/web version 2",
      "lt-000000000000batch (batch, version 1) via SSM parameter /golden/web version 2",
    ]);
    assert.deepEqual(
      (report.parameters ?? []).map((p) => [p.Name, p.Value, p.Version]),
      [["/golden/web", COMMUNITY, 2]],
    );
  });

  it("resolves a resolve:ssm: image of a version an Auto Scaling group pins by number", async () => {
    const w = world();
    const r0 = w.accounts[ACCOUNT].regions["us-east-1"];
    r0.templates = [
      {
        LaunchTemplateId: "lt-0000000000000web",
        LaunchTemplateName: "web",
        VersionNumber: 1,
        ImageId: COMMUNITY,
      },
      {
        LaunchTemplateId: "lt-0000000000000web",
        LaunchTemplateName: "web",
        VersionNumber: 2,
        ImageId: "resolve:ssm:/golden/pinned",
        DefaultVersion: false,
      },
      {
        LaunchTemplateId: "lt-0000000000000web",
        LaunchTemplateName: "web",
        VersionNumber: 3,
        ImageId: COMMUNITY,
        DefaultVersion: false,
      },
    ];
    r0.autoScalingGroups = [
      {
        AutoScalingGroupName: "asg-1",
        LaunchTemplate: { LaunchTemplateId: "lt-0000000000000web", Version: "2" },
      },
    ];
    await lb.start(w, (h) => ({ ...h, GetParameters: ssm({ "/golden/pinned": COMMUNITY }) }));
    const report = await runAudit(testOptions());
    assert.equal(report.summary.complete, true, JSON.stringify(report.summary.errors));
    const untrusted = report.findings.find((f) => f.rule === RULES.untrusted && f.imageId === COMMUNITY);
    assert.ok(
      untrusted?.usedBy?.includes(
        "lt-0000000000000web (web, version 2, pinned by Auto Scaling group asg-1) via SSM parameter /golden/pinned version 2",
      ),
      JSON.stringify(untrusted?.usedBy),
    );
  });

  for (const [what, handler, cause] of [
    ["does not exist", ssm({}), /does not exist in us-east-1/],
    [
      "cannot be read",
      () => jsonError("AccessDeniedException", "User is not authorized to perform: ssm:GetParameters"),
      /AccessDeniedException/,
    ],
    [
      "holds no AMI id",
      ssm({ "/golden/web": "golden-latest" }),
      /holds "golden-latest", which is not an AMI id/,
    ],
  ] as [string, Ec2Handler, RegExp][]) {
    it(`makes the audit partial, naming template and parameter, when the parameter ${what}`, async () => {
      await start(handler);
      const report = await runAudit(testOptions());
      assert.equal(report.summary.complete, false);
      const errors = report.summary.errors.filter((e) => e.step.startsWith("ssm:GetParameters"));
      assert.equal(errors.length, 2, JSON.stringify(report.summary.errors));
      assert.match(
        errors[0].step,
        /ssm:GetParameters \/golden\/web \(image of launch template lt-0+(web|batch)/,
      );
      assert.match(errors[0].cause, cause);
      assert.equal(errors[0].account, ACCOUNT);
      assert.equal(errors[0].region, "us-east-1");
    });
  }

  it("exports the parameters it read in the inventory, and the pack resolves them from it", async () => {
    await start(ssm({ "/golden/web": "ami-0aaaaaaaaaaaaaaa1" }));
    const file = path.join(lb.tmp, "inventory.json");
    const r = await runCli([
      "audit",
      "--region",
      "us-east-1",
      "--format",
      "json",
      "--export-inventory",
      file,
      "--max-attempts",
      "2",
    ]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { Parameters?: Record<string, unknown>[] };
    assert.deepEqual(doc.Parameters, [
      {
        Name: "/golden/web",
        Value: "ami-0aaaaaaaaaaaaaaa1",
        Version: 2,
        ARN: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/web`,
        Type: "String",
        DataType: "aws:ec2:image",
      },
    ]);
    const refs = readReferenceInventory(file);
    const found = await refs.parameters.resolve(
      parseParameterReference("resolve:ssm:/golden/web") as ParameterRef,
      "us-east-1",
    );
    assert.equal(found.kind === "found" && found.parameter.Value, "ami-0aaaaaaaaaaaaaaa1");
    const elsewhere = await refs.parameters.resolve(
      parseParameterReference("resolve:ssm:/golden/web") as ParameterRef,
      "eu-west-1",
    );
    assert.equal(elsewhere.kind, "error", "the ARN ties the value to its region");
  });
});
