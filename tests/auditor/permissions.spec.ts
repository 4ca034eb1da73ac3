/**
 * Every AWS call the auditor makes — a scheduled audit with remediation, an image event, a guardrail event —
 * is granted by its role's policy (components/iam/auditor-function.ts), so the deployed function is never
 * partial by design. The calls are the ones the loopback account actually received.
 */
import assert from "node:assert/strict";
import { auditorFunctionPolicy } from "../../components/iam";
import { handler } from "../../src/auditor/handler";
import { CONTEXT, event, loopback, quietly, world } from "./support";

/** The IAM service of each operation the loopback served (STS GetCallerIdentity needs no permission). */
const SERVICE: Record<string, string> = {
  BatchGetAccountStatus: "inspector2",
  DescribeAutoScalingGroups: "autoscaling",
  GetParameters: "ssm",
  DescribeTrails: "cloudtrail",
  GetTrailStatus: "cloudtrail",
  GetEventSelectors: "cloudtrail",
  BatchImportFindings: "securityhub",
  GetFindings: "securityhub",
  BatchUpdateFindings: "securityhub",
  Publish: "sns",
};

describe("auditor role covers every call the auditor makes", function () {
  this.timeout(60_000);

  it("scheduled audit with remediation, image and guardrail events", async () => {
    const w = world();
    w.accounts["111111111111"].regions["us-east-1"].imageBlockPublicAccess = "unblocked";
    const lb = await loopback(w, { AMI_GUARD_REMEDIATE: "true" });
    try {
      for (const e of ["scheduled", "modify-image-attribute-public", "disable-image-block-public-access"])
        await quietly(() => handler(event(e), CONTEXT));
      // fixed since: the next scheduled run resolves its finding
      const unencrypted = w.accounts["111111111111"].regions["us-east-1"].owned[3];
      unencrypted.BlockDeviceMappings =
        w.accounts["111111111111"].regions["us-east-1"].owned[0].BlockDeviceMappings;
      await quietly(() => handler(event("scheduled"), CONTEXT));
      const ops = Object.keys(lb.server.calls).filter((k) => k !== "total" && k !== "GetCallerIdentity");
      assert.ok(ops.includes("ModifyImageAttribute") && ops.includes("BatchUpdateFindings"), ops.join(","));
      const policy = auditorFunctionPolicy(
        { partition: "aws", accountId: "111111111111", region: "us-east-1", environment: "dev" },
        {
          logGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:x",
          deadLetterQueueArn: "arn:aws:sqs:us-east-1:111111111111:q",
          alarmTopicArn: "arn:aws:sns:us-east-1:111111111111:t",
        },
        true,
      );
      const allowed = new Set(
        policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat()),
      );
      for (const op of ops) assert.ok(allowed.has(`${SERVICE[op] ?? "ec2"}:${op}`), `${op} is not granted`);
    } finally {
      await lb.restore();
    }
  });
});
