import assert from "node:assert/strict";
import { cadenceToCron, ConfigError, parseConfig } from "../../config";
import { loadStackConfig } from "../helpers/mocks";

/** parseConfig is pure: these run without mocks. */
describe("config validation (parseConfig)", function () {
  const dev = () => loadStackConfig("dev");

  it("accepts the three shipped stacks and reads their real differences", function () {
    const [d, s, p] = ["dev", "staging", "prod"].map((st) => parseConfig(loadStackConfig(st), st));
    assert.deepEqual([d.region, s.region, p.region], ["us-east-1", "eu-west-1", "eu-west-1"]);
    assert.deepEqual(
      [d.guardrails.allowedImagesState, s.guardrails.allowedImagesState, p.guardrails.allowedImagesState],
      ["audit-mode", "enabled", "enabled"],
    );
    assert.deepEqual(
      [d.audit.logRetentionDays, s.audit.logRetentionDays, p.audit.logRetentionDays],
      [30, 90, 365],
    );
    assert.deepEqual(
      [d.pipeline!.amiMaxAgeDays, s.pipeline!.amiMaxAgeDays, p.pipeline!.amiMaxAgeDays],
      [30, 60, 90],
    );
    assert.deepEqual([d.alarms.emails.length, s.alarms.emails.length, p.alarms.emails.length], [1, 2, 3]);
    assert.deepEqual(d.sharing.accountIds, ["222222222222"]);
    assert.deepEqual(p.sharing.accountIds, []);
    assert.deepEqual(p.sharing.organizationArns, [
      "arn:aws:organizations::111111111111:organization/o-exampleorgid",
    ]);
    for (const c of [d, s, p]) assert.deepEqual(c.fleet!.ami, { kind: "pipeline" });
    assert.deepEqual([d.scp.enabled, s.scp.enabled, p.scp.enabled], [false, false, true]);
    assert.equal(d.pipeline!.deprecateAfterDays, 14);
    assert.equal(d.pipeline!.scheduleExpression, "cron(0 3 ? * sun *)");
    assert.equal(d.stackFile, "stacks/Pulumi.dev.yaml");
    assert.deepEqual([d.auditor.remediate, s.auditor.remediate, p.auditor.remediate], [true, false, false]);
    assert.deepEqual(d.auditor.regions, ["us-east-1"], "empty auditorRegions: the stack's region");
    assert.deepEqual(p.auditor.regions, ["eu-west-1", "eu-central-1"]);
    assert.equal(p.auditor.scheduleExpression, "rate(1 hour)");
  });

  it("accepts an AMI id for the fleet (8 or 17 hex digits)", function () {
    for (const id of ["ami-12345678", "ami-0123456789abcdef0"]) {
      const c = parseConfig({ ...dev(), "ami-guard:fleetAmi": id }, "dev");
      assert.deepEqual(c.fleet!.ami, { kind: "image", imageId: id });
    }
  });

  const bad: Array<[string, string | undefined, RegExp]> = [
    ["ami-guard:fleetAmi", "ami-123", /pipeline. or an AMI id/],
    ["ami-guard:fleetAmi", "latest", /pipeline. or an AMI id/],
    ["ami-guard:fleetAmi", undefined, /required/],
    ["ami-guard:parentImage", "ami-0123456789abcdef0", /Image Builder managed image ARN/],
    [
      "ami-guard:parentImage",
      "arn:aws:imagebuilder:us-east-1:123456789012:image/mine/1.0.0/1",
      /owned by aws/,
    ],
    [
      "ami-guard:parentImage",
      "arn:aws:imagebuilder:eu-west-1:aws:image/amazon-linux-2023-x86/x.x.x",
      /aws:region us-east-1/,
    ],
    ["ami-guard:allowedImagesState", "disabled", /audit-mode, enabled/],
    ["ami-guard:patchCadenceDays", "weekly", /whole number/],
    ["ami-guard:patchCadenceDays", "0", /between 1 and 31/],
    ["ami-guard:amiMaxAgeDays", "10", /at least two patch cadences/],
    ["ami-guard:logRetentionDays", "31", /CloudWatch Logs retention value/],
    ["ami-guard:alarmEmails", "[]", /must not be empty/],
    ["ami-guard:alarmEmails", '["not-an-email"]', /email address/],
    ["ami-guard:sharingAccountIds", '["12345"]', /12-digit/],
    ["ami-guard:sharingAccountIds", "222222222222", /must be a list/],
    ["ami-guard:sharingOrganizationArns", '["o-exampleorgid"]', /organization ARN/],
    ["ami-guard:sharingOrganizationalUnitArns", '["ou-ab12-cdef3456"]', /OU ARN/],
    ["ami-guard:deployerPrincipalArns", '["arn:aws:iam::111111111111:root"]', /never the account root/],
    ["ami-guard:deployerPrincipalArns", "[]", /must not be empty/],
    ["ami-guard:fleetDesiredCapacity", "5", /between fleetMinSize/],
    ["ami-guard:fleetAvailabilityZones", '["eu-west-1a"]', /Availability Zone of us-east-1/],
    ["ami-guard:fleetAvailabilityZones", "[]", /give fleetSubnetIds/],
    ["ami-guard:allowedImageProviders", '["111111111111"]', /must include amazon/],
    ["ami-guard:inspectorResourceTypes", '["ECR"]', /must include EC2/],
    ["ami-guard:scpEnabled", "yes", /true or false/],
    ["ami-guard:scpEnabled", "true", /scpTargetIds.*|must not be empty when scpEnabled/],
    ["ami-guard:amiApprovedTag", "approved", /one of true, false/],
    ["ami-guard:environment", "Dev", /lower-case label/],
    ["ami-guard:auditorScheduleExpression", "every 6 hours", /EventBridge schedule expression/],
    ["ami-guard:auditorScheduleExpression", "rate(1 hours)", /EventBridge schedule expression/],
    ["ami-guard:auditorRegions", '["mars-north-1x"]', /AWS region name/],
    ["ami-guard:auditorRemediate", "yes", /true or false/],
    ["ami-guard:auditorEnableSecurityHub", undefined, /required/],
    ["aws:region", undefined, /required/],
    ["ami-guard:fleetAmii", "pipeline", /unknown key/],
  ];
  for (const [key, value, message] of bad) {
    it(`stops on ${key}=${value === undefined ? "(missing)" : JSON.stringify(value)}, naming the key and the stack file`, function () {
      const raw = dev();
      if (value === undefined) delete raw[key];
      else raw[key] = value;
      let err: unknown;
      try {
        parseConfig(raw, "dev");
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.stackFile, "stacks/Pulumi.dev.yaml");
      assert.ok(err.message.includes("stacks/Pulumi.dev.yaml"));
      const expectedKey = key === "ami-guard:scpEnabled" && value === "true" ? "ami-guard:scpTargetIds" : key;
      assert.equal(err.key, expectedKey);
      assert.ok(err.message.includes(expectedKey));
      assert.match(err.message, message);
    });
  }

  it("derives the Image Builder schedule from the cadence", function () {
    assert.equal(cadenceToCron(1), "cron(0 3 * * ? *)");
    assert.equal(cadenceToCron(7), "cron(0 3 ? * sun *)");
    assert.equal(cadenceToCron(14), "cron(0 3 1/14 * ? *)");
    assert.equal(cadenceToCron(30), "cron(0 3 1 * ? *)");
  });
});

describe("ConfigError under the Pulumi engine", () => {
  it("is a pulumi.RunError, so `pulumi up` prints its message without a stack trace", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const e = new ConfigError(
      "ami-guard:patchCadenceDays",
      "stacks/Pulumi.dev.yaml",
      "must be a whole number",
    );
    assert.equal(pulumi.RunError.isInstance(e), true);
    assert.ok(e instanceof pulumi.RunError, "a subclass of pulumi.RunError, not only its marker");
    assert.ok(e instanceof ConfigError);
    assert.equal(e.name, "ConfigError");
    assert.deepEqual(
      [e.key, e.stackFile, e.problem],
      ["ami-guard:patchCadenceDays", "stacks/Pulumi.dev.yaml", "must be a whole number"],
    );
    assert.equal(
      e.message,
      "Invalid configuration ami-guard:patchCadenceDays in stacks/Pulumi.dev.yaml: must be a whole number",
    );
  });
});
