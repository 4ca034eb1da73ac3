/**
 * The auditor function's role by simulation (@cloud-copilot/iam-simulate), over the very documents the
 * AmiAuditor component deploys: read-only with remediation off; with it on, exactly one more action —
 * ec2:ModifyImageAttribute on this account's images — and nothing else; the dead-letter queue's policy.
 */
import assert from "node:assert/strict";
import * as A from "../../components/iam";
import * as P from "../../components/iam";
import { decide, type Decision, type Request } from "./simulate";

const ctx: P.AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const ACCT = ctx.accountId;
const out: A.AuditorOutputs = {
  logGroupArn: `arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/lambda/ami-guard-dev-auditor`,
  deadLetterQueueArn: `arn:aws:sqs:us-east-1:${ACCT}:ami-guard-dev-auditor-dlq`,
  alarmTopicArn: `arn:aws:sns:us-east-1:${ACCT}:ami-guard-dev-alarms`,
};
const sharing: P.SharingTargets = {
  accountIds: ["222222222222"],
  organizationArns: [],
  organizationalUnitArns: [],
};
const IMAGE = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0";
const IMAGE_EU = "arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef1";
const SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
const own = { "ec2:Owner": ACCT };
const foreign = { "ec2:Owner": "999999999999" };
const RULES = [
  `arn:aws:events:us-east-1:${ACCT}:rule/ami-guard-dev-auditor-schedule`,
  `arn:aws:events:us-east-1:${ACCT}:rule/ami-guard-dev-auditor-ami-events`,
];

function asFunction(
  remediate: boolean,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): Request {
  const policy = A.auditorFunctionPolicy(ctx, out, remediate);
  const principal = A.auditorRoleArn(ctx);
  return {
    principal,
    action,
    resource,
    resourceAccount: ACCT,
    context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCT, ...context },
    identity: [policy],
    boundary: P.roleBoundary(ctx, sharing, [policy]),
  };
}

interface Row {
  readonly what: string;
  readonly request: Request;
  readonly expect: Decision | "denied";
}
const rows: Row[] = [];
const row = (what: string, request: Request, expect: Row["expect"]) => rows.push({ what, request, expect });

for (const remediate of [false, true]) {
  const mode = remediate ? "remediation on" : "remediation off";
  row(`${mode}: reads images`, asFunction(remediate, "ec2:DescribeImages", "*"), "Allowed");
  row(
    `${mode}: reads an image's launch permissions in any region`,
    asFunction(remediate, "ec2:DescribeImageAttribute", IMAGE_EU, own),
    "Allowed",
  );
  row(
    `${mode}: reads the guardrails`,
    asFunction(remediate, "ec2:GetImageBlockPublicAccessState", "*"),
    "Allowed",
  );
  row(
    `${mode}: resolves an AMI id kept in an SSM parameter`,
    asFunction(remediate, "ssm:GetParameters", `arn:aws:ssm:us-east-1:${ACCT}:parameter/golden/ami`),
    "Allowed",
  );
  row(
    `${mode}: writes an SSM parameter`,
    asFunction(remediate, "ssm:PutParameter", `arn:aws:ssm:us-east-1:${ACCT}:parameter/golden/ami`),
    "denied",
  );
  row(
    `${mode}: reads Auto Scaling groups`,
    asFunction(remediate, "autoscaling:DescribeAutoScalingGroups", "*"),
    "Allowed",
  );
  row(`${mode}: reads EC2 Fleets`, asFunction(remediate, "ec2:DescribeFleets", "*"), "Allowed");
  row(
    `${mode}: reads Inspector's status`,
    asFunction(remediate, "inspector2:BatchGetAccountStatus", "*"),
    "Allowed",
  );
  row(
    `${mode}: imports findings into its own account's Security Hub`,
    asFunction(remediate, "securityhub:BatchImportFindings", A.securityHubProductArn(ctx)),
    "Allowed",
  );
  row(
    `${mode}: imports findings under another account's product`,
    asFunction(
      remediate,
      "securityhub:BatchImportFindings",
      "arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default",
    ),
    "denied",
  );
  row(
    `${mode}: lists its findings`,
    asFunction(remediate, "securityhub:GetFindings", A.securityHubArn(ctx)),
    "Allowed",
  );
  row(
    `${mode}: resolves findings`,
    asFunction(remediate, "securityhub:BatchUpdateFindings", A.securityHubArn(ctx)),
    "Allowed",
  );
  row(
    `${mode}: publishes to the alarm topic`,
    asFunction(remediate, "sns:Publish", out.alarmTopicArn),
    "Allowed",
  );
  row(
    `${mode}: publishes to another topic`,
    asFunction(remediate, "sns:Publish", `arn:aws:sns:us-east-1:${ACCT}:other`),
    "denied",
  );
  row(
    `${mode}: writes its own log streams`,
    asFunction(remediate, "logs:PutLogEvents", `${out.logGroupArn}:log-stream:2026/11/29/[$LATEST]abc`),
    "Allowed",
  );
  row(
    `${mode}: writes to the trail's log group`,
    asFunction(
      remediate,
      "logs:PutLogEvents",
      `arn:aws:logs:us-east-1:${ACCT}:log-group:/aws/cloudtrail/ami-guard-dev:log-stream:x`,
    ),
    "denied",
  );
  row(
    `${mode}: sends dead letters`,
    asFunction(remediate, "sqs:SendMessage", out.deadLetterQueueArn),
    "Allowed",
  );
  row(
    `${mode}: modifies an image of another account`,
    asFunction(remediate, "ec2:ModifyImageAttribute", IMAGE, foreign),
    "denied",
  );
  for (const action of [
    "ec2:ResetImageAttribute",
    "ec2:DeregisterImage",
    "ec2:CreateImage",
    "ec2:CopyImage",
    "ec2:DisableImageDeregistrationProtection",
  ])
    row(`${mode}: ${action}`, asFunction(remediate, action, IMAGE, own), "denied");
  row(`${mode}: retags an image`, asFunction(remediate, "ec2:CreateTags", IMAGE, own), "denied");
  row(
    `${mode}: shares a snapshot`,
    asFunction(remediate, "ec2:ModifySnapshotAttribute", SNAPSHOT, own),
    "denied",
  );
  row(
    `${mode}: disables image block public access`,
    asFunction(remediate, "ec2:DisableImageBlockPublicAccess", "*"),
    "ExplicitlyDenied",
  );
  row(
    `${mode}: disables Allowed AMIs`,
    asFunction(remediate, "ec2:DisableAllowedImagesSettings", "*"),
    "ExplicitlyDenied",
  );
  row(
    `${mode}: changes its own role`,
    asFunction(remediate, "iam:PutRolePolicy", A.auditorRoleArn(ctx)),
    "denied",
  );
}
row(
  "remediation off: modifies this account's image (read-only)",
  asFunction(false, "ec2:ModifyImageAttribute", IMAGE, own),
  "ExplicitlyDenied",
);
row(
  "remediation on: removes launch permissions of this account's image",
  asFunction(true, "ec2:ModifyImageAttribute", IMAGE, own),
  "Allowed",
);
row(
  "remediation on: … in another region of the account",
  asFunction(true, "ec2:ModifyImageAttribute", IMAGE_EU, own),
  "Allowed",
);

const queue = A.deadLetterQueuePolicy(ctx, out.deadLetterQueueArn, RULES);
const events = (sourceArn: string): Request => ({
  principal: "events.amazonaws.com",
  action: "sqs:SendMessage",
  resource: out.deadLetterQueueArn,
  resourceAccount: ACCT,
  context: { "aws:SourceArn": sourceArn, "aws:SecureTransport": "true" },
  resourcePolicy: queue,
});
row("EventBridge dead-letters for the auditor's rule", events(RULES[1]), "Allowed");
row(
  "EventBridge dead-letters for another rule",
  events(`arn:aws:events:us-east-1:${ACCT}:rule/other`),
  "denied",
);

describe("IAM: the auditor function's role by simulation", function () {
  for (const r of rows) {
    it(`${r.what}: ${r.expect}`, async function () {
      const got = await decide(r.request);
      if (r.expect === "denied") assert.notEqual(got, "Allowed", `${r.what} was allowed`);
      else assert.equal(got, r.expect, r.what);
    });
  }

  it("remediation adds exactly one allowed action, ec2:ModifyImageAttribute, and removes only its deny", function () {
    const allowed = (d: P.PolicyDocument) =>
      new Set(d.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat()));
    const off = allowed(A.auditorFunctionPolicy(ctx, out, false));
    const on = allowed(A.auditorFunctionPolicy(ctx, out, true));
    assert.deepEqual(
      [...on].filter((a) => !off.has(a)),
      ["ec2:ModifyImageAttribute"],
    );
    assert.deepEqual(
      [...off].filter((a) => !on.has(a)),
      [],
    );
    for (const a of off) assert.ok(!/\*/.test(a), `no wildcard action: ${a}`);
  });
});
