/**
 * `ami-guard audit --format asff` (the BatchImportFindings body, typed with @aws-sdk/client-securityhub) and
 * `--image <id>` (one image, not the account), against the loopback endpoint.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import type { BatchImportFindingsRequest } from "@aws-sdk/client-securityhub";
import { INCOMPLETE_RULE, findingId, partitionOf, productArn } from "../../src/audit/asff";
import { ec2Error, type Ec2Handler } from "../../testing/ec2-server";
import { ACCOUNT, NOW, scenario } from "../fixtures/audit/scenario";
import { assertAsffRequired, runCli, useAuditLoopback } from "./support";

const CONFIG = path.relative(
  process.cwd(),
  path.join(__dirname, "..", "fixtures", "audit", "pack-config.json"),
);
const ARGS = [
  "audit",
  "--region",
  "us-east-1",
  "--config",
  CONFIG,
  "--now",
  NOW.toISOString(),
  "--max-attempts",
  "2",
];

describe("ami-guard audit --format asff and --image", function () {
  this.timeout(60_000);
  const lb = useAuditLoopback();
  const start = (wrap?: (h: Record<string, Ec2Handler>) => Record<string, Ec2Handler>) =>
    lb.start(scenario(), wrap);

  it("prints the findings as a BatchImportFindings request: every required field, stable ids", async () => {
    await start();
    const json = await runCli([...ARGS, "--format", "json"]);
    const r = await runCli([...ARGS, "--format", "asff"]);
    assert.equal(r.code, 1, r.stderr);
    const body = JSON.parse(r.stdout) as BatchImportFindingsRequest;
    const findings = body.Findings!;
    const plain = JSON.parse(json.stdout) as {
      findings: { rule: string; resource: string; severity: string }[];
    };
    for (const f of findings) {
      assertAsffRequired(f);
      assert.equal(f.ProductArn, `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`);
      assert.equal(
        f.Id,
        findingId(f.AwsAccountId!, f.Region!, f.ProductFields!["ami-guard/Resource"], f.GeneratorId!),
      );
      assert.equal(f.CreatedAt, NOW.toISOString());
    }
    // every (resource, rule) of the JSON report, once, at its highest severity
    const RANK = ["low", "medium", "high", "critical"];
    const expected = new Map<string, string>();
    for (const f of plain.findings) {
      const k = `${f.resource} ${f.rule}`;
      const prev = expected.get(k);
      if (!prev || RANK.indexOf(f.severity) > RANK.indexOf(prev)) expected.set(k, f.severity);
    }
    assert.deepEqual(
      findings
        .map((f) => `${f.ProductFields!["ami-guard/Resource"]} ${f.GeneratorId} ${f.Severity!.Label}`)
        .sort(),
      [...expected].map(([k, s]) => `${k} ${s.toUpperCase()}`).sort(),
    );
    assert.ok(
      plain.findings.length > findings.length,
      "the scenario has a rule with two problems on one image",
    );
    assert.equal(new Set(findings.map((f) => f.Id)).size, findings.length, "one Id per image and rule");
  });

  it("a partial audit prints an audit-incomplete finding too, and exits 2", async () => {
    await start((h) => ({
      ...h,
      DescribeInstances: () =>
        ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."),
    }));
    const r = await runCli([...ARGS, "--format", "asff"]);
    assert.equal(r.code, 2);
    const f = (JSON.parse(r.stdout) as BatchImportFindingsRequest).Findings!.find(
      (x) => x.GeneratorId === INCOMPLETE_RULE,
    )!;
    assert.equal(f.Severity!.Label, "HIGH");
    assert.match(f.Description!, /DescribeInstances: UnauthorizedOperation/);
  });

  it("--image audits that one image: by id, no account listing, no guardrails", async () => {
    await start();
    const r = await runCli([...ARGS, "--format", "json", "--image", "ami-0aaaaaaaaaaaaaaa2"]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      findings: { imageId: string | null }[];
      summary: { complete: boolean };
    };
    assert.ok(out.findings.length > 0);
    assert.ok(out.findings.every((f) => f.imageId === "ami-0aaaaaaaaaaaaaaa2"));
    assert.equal(out.summary.complete, true);
    assert.equal(lb.server.calls.DescribeImages, 1);
    assert.equal(lb.server.calls.DescribeImageAttribute, 1, "owned: its launch permissions are read");
    for (const call of ["DescribeInstances", "GetEbsEncryptionByDefault", "DescribeTrails"])
      assert.equal(lb.server.calls[call], undefined, call);
  });

  it("--image of an image that does not exist is a finding, not a clean result", async () => {
    await start();
    const r = await runCli([...ARGS, "--format", "json", "--image", "ami-0fffffffffffffff1"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ec2-ami-disallow-missing-image/);
  });

  it("rejects a malformed --image, and --image with --export-inventory, in one line", async () => {
    await start();
    for (const [args, msg] of [
      [["--image", "ami-123"], /--image "ami-123" is not an AMI id/],
      [
        ["--image", "ami-0aaaaaaaaaaaaaaa2", "--export-inventory", "/tmp/x.json"],
        /--export-inventory needs the whole account/,
      ],
    ] as [string[], RegExp][]) {
      const r = await runCli([...ARGS, ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
    assert.equal(lb.server.calls.total, 0);
  });

  it("names the partition from the region", () => {
    assert.equal(partitionOf("cn-north-1"), "aws-cn");
    assert.equal(partitionOf("us-gov-west-1"), "aws-us-gov");
    assert.equal(partitionOf("eu-west-1"), "aws");
    assert.equal(
      productArn({ partition: "aws-cn", region: "cn-north-1", account: ACCOUNT }),
      `arn:aws-cn:securityhub:cn-north-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
  });
});
