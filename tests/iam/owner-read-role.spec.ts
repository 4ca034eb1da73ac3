/**
 * The image-build account's owner read role, by simulation over the very documents AmiOwnerReadRole deploys:
 * the organisation's deployers (matching the principal ARN pattern, in the listed OU) may assume it; nobody
 * outside the organisation, no other principal of the organisation and no principal outside the OU may; and
 * the role may do exactly ec2:DescribeImages and ec2:DescribeImageAttribute, nothing beyond.
 */
import assert from "node:assert/strict";
import {
  OWNER_READ_ACTIONS,
  ownerReadBoundary,
  ownerReadPolicy,
  ownerReadRoleArn,
  ownerReadTrustPolicy,
  type OwnerReadTrust,
} from "../../components/iam";
import type { PolicyDocument } from "../../components/iam";
import { decide, type Decision, type Request } from "./simulate";

const BUILD = "444444444444";
const WORKLOAD = "555555555555";
const STRANGER = "999999999999";
const ORG = "o-exampleorgid";
const OU_PATH = `${ORG}/r-ab12/ou-ab12-cdef3456/`;
const ROLE = ownerReadRoleArn("aws", BUILD);
const trustCfg: OwnerReadTrust = {
  organizationId: ORG,
  organizationPaths: [`${ORG}/r-ab12/ou-ab12-cdef3456/*`],
  principalArnPatterns: ["arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer"],
};
const trust = ownerReadTrustPolicy(trustCfg);
const orgWide = ownerReadTrustPolicy({ ...trustCfg, organizationPaths: [] });
const policy = ownerReadPolicy("aws");
const boundary = ownerReadBoundary();
const IMAGE = "arn:aws:ec2:us-east-1::image/ami-0a000000000000001";
const deployer = (account: string) => `arn:aws:iam::${account}:role/ami-guard/ami-guard-prod-deployer`;
const canAssume: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "AssumeAnything", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
};

/** `principal` (in `account`, with org facts `org`) asks to assume the read role. */
function assume(
  principal: string,
  org: Record<string, string | string[]>,
  resourcePolicy: PolicyDocument = trust,
): Request {
  const account = principal.split(":")[4];
  return {
    principal,
    action: "sts:AssumeRole",
    resource: ROLE,
    resourceAccount: BUILD,
    context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": account, ...org },
    identity: [canAssume],
    resourcePolicy,
  };
}

/** The role's session performs `action` on `resource` (with an admin-like policy attached later, too). */
function asRole(action: string, resource: string, extra: PolicyDocument[] = []): Request {
  return {
    principal: ROLE,
    action,
    resource,
    resourceAccount: BUILD,
    context: { "aws:PrincipalArn": ROLE, "aws:PrincipalAccount": BUILD },
    identity: [policy, ...extra],
    boundary,
  };
}

const inOrg = { "aws:PrincipalOrgID": ORG, "aws:PrincipalOrgPaths": [OU_PATH] };
const rows: [string, Request, Decision | "denied"][] = [
  [
    "the organisation's deployer (workload account, listed OU) assumes the role",
    assume(deployer(WORKLOAD), inOrg),
    "Allowed",
  ],
  [
    "the organisation's deployer, organisation-wide trust (no OU paths)",
    assume(deployer(WORKLOAD), { "aws:PrincipalOrgID": ORG }, orgWide),
    "Allowed",
  ],
  ["a deployer-named role outside any organisation", assume(deployer(STRANGER), {}), "denied"],
  [
    "a deployer-named role of another organisation",
    assume(deployer(STRANGER), {
      "aws:PrincipalOrgID": "o-otherorg0001",
      "aws:PrincipalOrgPaths": ["o-otherorg0001/r-zz99/ou-zz99-abcdefgh/"],
    }),
    "denied",
  ],
  [
    "another organisation, organisation-wide trust",
    assume(deployer(STRANGER), { "aws:PrincipalOrgID": "o-otherorg0001" }, orgWide),
    "denied",
  ],
  [
    "a deployer of the organisation outside the listed OU",
    assume(deployer(WORKLOAD), {
      "aws:PrincipalOrgID": ORG,
      "aws:PrincipalOrgPaths": [`${ORG}/r-ab12/ou-ab12-zzzz9999/`],
    }),
    "denied",
  ],
  [
    "another role of the organisation (a developer)",
    assume(`arn:aws:iam::${WORKLOAD}:role/developer`, inOrg),
    "denied",
  ],
  [
    "a role named like a deployer outside the ami-guard path",
    assume(`arn:aws:iam::${WORKLOAD}:role/ami-guard-prod-deployer`, inOrg),
    "denied",
  ],
  [
    "an IAM user of the organisation",
    assume(`arn:aws:iam::${WORKLOAD}:user/ami-guard/ami-guard-prod-deployer`, inOrg),
    "denied",
  ],
  ["the role describes images", asRole("ec2:DescribeImages", "*"), "Allowed"],
  ["the role reads an image's launch permissions", asRole("ec2:DescribeImageAttribute", IMAGE), "Allowed"],
];
const BEYOND: [string, string][] = [
  ["ec2:ModifyImageAttribute", IMAGE],
  ["ec2:CreateTags", IMAGE],
  ["ec2:DeleteTags", IMAGE],
  ["ec2:DeregisterImage", IMAGE],
  ["ec2:CopyImage", IMAGE],
  ["ec2:CreateImage", IMAGE],
  ["ec2:EnableImageDeprecation", IMAGE],
  ["ec2:RunInstances", IMAGE],
  ["ec2:DescribeInstances", "*"],
  ["ec2:DescribeSnapshots", "*"],
  ["ec2:DescribeSnapshotAttribute", "arn:aws:ec2:us-east-1::snapshot/snap-0a000000000000001"],
  ["ec2:ModifySnapshotAttribute", "arn:aws:ec2:us-east-1::snapshot/snap-0a000000000000001"],
  ["ec2:DescribeLaunchTemplateVersions", "*"],
  ["ssm:GetParameter", `arn:aws:ssm:us-east-1:${BUILD}:parameter/ami-guard/golden-image`],
  ["kms:Decrypt", `arn:aws:kms:us-east-1:${BUILD}:key/0000aaaa-1111-2222-3333-444444444444`],
  ["sts:AssumeRole", `arn:aws:iam::${BUILD}:role/ami-guard/ami-guard-build-publisher`],
  ["iam:PassRole", `arn:aws:iam::${BUILD}:role/ami-guard/ami-guard-build-builder`],
  ["iam:PutRolePolicy", ROLE],
];
const ADMIN_LATER: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "AttachedLater", Effect: "Allow", Action: "*", Resource: "*" }],
};
for (const [action, resource] of BEYOND) {
  rows.push([`the role: ${action}`, asRole(action, resource), "denied"]);
  rows.push([
    `the role: ${action}, even with a policy allowing * attached later`,
    asRole(action, resource, [ADMIN_LATER]),
    "denied",
  ]);
}

describe("owner read role (image-build account) by simulation", function () {
  this.timeout(120_000);
  for (const [what, request, expect] of rows) {
    it(`${what}: ${expect}`, async function () {
      const got = await decide(request);
      if (expect === "denied") assert.notEqual(got, "Allowed", `${what} was allowed`);
      else assert.equal(got, expect);
    });
  }

  it("allows exactly ec2:DescribeImages and ec2:DescribeImageAttribute, and trusts only through the organisation", function () {
    const allowed = (d: PolicyDocument) =>
      [
        ...new Set(
          d.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
            Array.isArray(s.Action) ? s.Action : [s.Action],
          ),
        ),
      ].sort();
    assert.deepEqual(allowed(policy), [...OWNER_READ_ACTIONS]);
    assert.deepEqual(allowed(boundary), [...OWNER_READ_ACTIONS]);
    for (const s of [...trust.Statement, ...orgWide.Statement]) {
      assert.equal(s.Action, "sts:AssumeRole");
      assert.equal(
        s.Condition?.StringEquals?.["aws:PrincipalOrgID"],
        ORG,
        "every trust statement needs the organisation",
      );
      assert.ok(
        s.Condition?.ArnLike?.["aws:PrincipalArn"],
        "every trust statement needs a principal ARN pattern",
      );
    }
  });
});
