/**
 * The workload account's deployer, by simulation over the documents AmiIamRoles deploys with the stack's
 * `ownerReadRoles`: it may launch the golden images the image-build account shares with it (whose tags this
 * account cannot see) and assume that account's owner read role for the policy pack, and nothing more — no
 * stranger's or AWS's image, no unapproved image of its own, no other role. Without `ownerReadRoles` (a
 * standalone stack) none of that is open.
 */
import assert from "node:assert/strict";
import * as P from "../../components/iam";
import { ownerReadRoleArn, ownerReadTrustPolicy } from "../../components/iam";
import { decide, type Decision, type Request } from "./simulate";

const WORKLOAD = "555555555555";
const BUILD = "444444444444";
const STRANGER = "999999999999";
const ctx: P.AccountContext = {
  partition: "aws",
  accountId: WORKLOAD,
  region: "us-east-1",
  environment: "prod",
};
const KEY = `arn:aws:kms:us-east-1:${WORKLOAD}:key/0000aaaa-1111-2222-3333-444444444444`;
const READ_ROLE = ownerReadRoleArn("aws", BUILD);
const sharing: P.SharingTargets = { accountIds: [], organizationArns: [], organizationalUnitArns: [] };
const IMAGE = "arn:aws:ec2:us-east-1::image/ami-0a000000000000001";
const ORG = "o-exampleorgid";
/** The build account's read role trusts the organisation's deployers (AmiOwnerReadRole's trust policy). */
const readRoleTrust = ownerReadTrustPolicy({
  organizationId: ORG,
  organizationPaths: [],
  principalArnPatterns: ["arn:aws:iam::*:role/ami-guard/ami-guard-*-deployer"],
});

function deployerOf(
  owners: Record<string, string>,
): (action: string, resource: string, context?: Record<string, string>) => Request {
  const docs: Record<P.RoleKind, P.PolicyDocument> = {
    builder: P.builderPolicy(ctx, KEY),
    publisher: P.publisherPolicy(ctx, sharing),
    deployer: P.deployerPolicy(ctx, KEY, owners),
    auditor: P.auditorPolicy(ctx, {
      trailBucketArn: "arn:aws:s3:::trail",
      trailLogGroupArn: "arn:aws:logs:us-east-1:555555555555:log-group:trail",
    }),
  };
  const boundary = P.roleBoundary(ctx, sharing, Object.values(docs));
  const principal = P.roleArn(ctx, "deployer");
  return (action, resource, context = {}) => ({
    principal,
    action,
    resource,
    resourceAccount: resource === READ_ROLE ? BUILD : WORKLOAD,
    context: {
      "aws:PrincipalArn": principal,
      "aws:PrincipalAccount": WORKLOAD,
      "aws:PrincipalOrgID": ORG,
      ...context,
    },
    identity: [docs.deployer],
    boundary,
    resourcePolicy: resource === READ_ROLE ? readRoleTrust : undefined,
  });
}

const workload = deployerOf({ [BUILD]: READ_ROLE });
const standalone = deployerOf({});
const ownApproved = {
  "ec2:Owner": WORKLOAD,
  "ec2:ResourceTag/Approved": "true",
  "ec2:ResourceTag/Environment": "prod",
  "aws:ResourceTag/Approved": "true",
  "aws:ResourceTag/Environment": "prod",
};

const rows: [string, Request, Decision][] = [
  // Stay allowed.
  [
    "workload deployer launches the build account's shared golden image (tags not visible here)",
    workload("ec2:RunInstances", IMAGE, { "ec2:Owner": BUILD }),
    "Allowed",
  ],
  [
    "workload deployer launches an approved image of its own account",
    workload("ec2:RunInstances", IMAGE, ownApproved),
    "Allowed",
  ],
  [
    "workload deployer's pack assumes the build account's owner read role",
    workload("sts:AssumeRole", READ_ROLE),
    "Allowed",
  ],
  // Closed.
  [
    "workload deployer launches a stranger's image",
    workload("ec2:RunInstances", IMAGE, { "ec2:Owner": STRANGER }),
    "ExplicitlyDenied",
  ],
  [
    "workload deployer launches an AWS image",
    workload("ec2:RunInstances", IMAGE, { "ec2:Owner": "amazon" }),
    "ExplicitlyDenied",
  ],
  [
    "workload deployer launches an unapproved image of its own account",
    workload("ec2:RunInstances", IMAGE, { "ec2:Owner": WORKLOAD }),
    "ExplicitlyDenied",
  ],
  [
    "workload deployer assumes another role of the build account",
    {
      ...workload("sts:AssumeRole", `arn:aws:iam::${BUILD}:role/admin`),
      resourceAccount: BUILD,
      resourcePolicy: readRoleTrust,
    },
    "ImplicitlyDenied",
  ],
  [
    "standalone deployer launches the build account's image",
    standalone("ec2:RunInstances", IMAGE, { "ec2:Owner": BUILD }),
    "ExplicitlyDenied",
  ],
  [
    "standalone deployer assumes the build account's owner read role",
    standalone("sts:AssumeRole", READ_ROLE),
    "ImplicitlyDenied",
  ],
];

describe("IAM simulation: the workload deployer and the build account's shared golden images", function () {
  this.timeout(60_000);
  for (const [title, request, expected] of rows) {
    it(`${title}: ${expected}`, async () => {
      assert.equal(await decide(request), expected);
    });
  }
});
