/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped JSON under mocks */
import assert from "node:assert/strict";
import { AmiEncryptionKey } from "../../components/ami-encryption-key";
import type { AccountContext } from "../../components/iam";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const ctx: AccountContext = {
  partition: "aws",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
};
const sharing = { accountIds: ["222222222222"], organizationArns: [], organizationalUnitArns: [] };
const tags = { ManagedBy: "ami-guard", Environment: "dev" };

describe("AmiEncryptionKey", function () {
  let rec: Recorder;
  const children = async (c: AmiEncryptionKey) => {
    const urn = await promiseOf(c.urn);
    return rec.registrations.filter((r) => r.parent === urn);
  };
  before(async function () {
    rec = await installMocks();
  });

  it("declares a rotating key, alias, EBS default encryption with this key and the Auto Scaling grant", async function () {
    const key = new AmiEncryptionKey("k1", {
      account: ctx,
      environment: "dev",
      sharing,
      deletionWindowDays: 7,
      grantToAutoScaling: true,
      createAutoScalingServiceLinkedRole: false,
      tags,
    });
    await settle(key.keyArn, key.aliasName);
    const kids = await children(key);
    assert.deepEqual(kids.map((k) => k.type).sort(), [
      "aws:ebs/defaultKmsKey:DefaultKmsKey",
      "aws:ebs/encryptionByDefault:EncryptionByDefault",
      "aws:kms/alias:Alias",
      "aws:kms/grant:Grant",
      "aws:kms/key:Key",
    ]);
    assert.ok(kids.every((k) => k.name.startsWith("k1-")));
    const k = rec.one("aws:kms/key:Key", "k1-key").inputs as Record<string, any>;
    assert.equal(k.enableKeyRotation, true);
    assert.equal(k.rotationPeriodInDays, 365);
    assert.equal(k.deletionWindowInDays, 7);
    assert.equal(k.multiRegion, false);
    const policy = JSON.parse(k.policy);
    const sids = policy.Statement.map((s: { Sid: string }) => s.Sid);
    assert.deepEqual(sids, [
      "AccountAdministersKey",
      "AccountGrantsKeyOnlyToEc2Resources",
      "AccountGrantsKeyToAutoScaling",
      "NoGrantsOutsideEc2",
      "BuildAndLaunchRolesUseKeyThroughEc2",
      "BuildAndLaunchRolesGrantThroughEc2",
      "AllowListedAccountsUseKeyThroughEc2",
      "DenyUseOutsideEc2",
    ]);
    assert.equal(rec.one("aws:kms/alias:Alias", "k1-alias").inputs.name, "alias/ami-guard-dev-ami");
    assert.equal(
      rec.one("aws:ebs/encryptionByDefault:EncryptionByDefault", "k1-ebs-encryption-by-default").inputs
        .enabled,
      true,
    );
    assert.equal(
      rec.one("aws:ebs/defaultKmsKey:DefaultKmsKey", "k1-ebs-default-key").inputs.keyArn,
      await promiseOf(key.keyArn),
    );
    const grant = rec.one("aws:kms/grant:Grant", "k1-autoscaling-grant").inputs as Record<string, any>;
    assert.equal(
      grant.granteePrincipal,
      "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    );
    assert.equal(grant.keyId, await promiseOf(key.keyArn));
    assert.ok(grant.operations.includes("Decrypt") && grant.operations.includes("CreateGrant"));
    assert.ok(!grant.operations.includes("RetireGrant"));
  });

  it("creates the Auto Scaling service-linked role first when asked, and no grant when fleets do not use the key", async function () {
    const withSlr = new AmiEncryptionKey("k2", {
      account: ctx,
      environment: "dev",
      sharing,
      deletionWindowDays: 30,
      grantToAutoScaling: true,
      createAutoScalingServiceLinkedRole: true,
      tags,
    });
    const noGrant = new AmiEncryptionKey("k3", {
      account: ctx,
      environment: "dev",
      sharing: { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
      deletionWindowDays: 30,
      grantToAutoScaling: false,
      createAutoScalingServiceLinkedRole: false,
      tags,
    });
    await settle(withSlr.keyArn, noGrant.keyArn);
    const slr = rec.one("aws:iam/serviceLinkedRole:ServiceLinkedRole", "k2-autoscaling-slr");
    assert.equal(slr.inputs.awsServiceName, "autoscaling.amazonaws.com");
    assert.equal(
      rec.one("aws:kms/grant:Grant", "k2-autoscaling-grant").inputs.granteePrincipal,
      "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    );
    const kids = await children(noGrant);
    assert.equal(kids.filter((k) => k.type === "aws:kms/grant:Grant").length, 0);
    assert.equal(kids.length, 4);
    const policy = JSON.parse(rec.one("aws:kms/key:Key", "k3-key").inputs.policy as string);
    assert.ok(!policy.Statement.some((s: { Sid: string }) => s.Sid.startsWith("AllowListed")));
  });
});
