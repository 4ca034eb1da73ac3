import assert from "node:assert/strict";
import { AmiScanning } from "../../components/ami-scanning";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

describe("AmiScanning", function () {
  let rec: Recorder;
  before(async function () {
    rec = await installMocks();
  });

  it("enables Inspector v2 for EC2 only in this account, with no organisation resources by default", async function () {
    const s = new AmiScanning("s1", {
      accountId: "111111111111",
      resourceTypes: ["EC2"],
      organizationAutoEnable: false,
    });
    await settle(s.resourceTypes);
    const urn = await promiseOf(s.urn);
    const kids = rec.registrations.filter((r) => r.parent === urn);
    assert.deepEqual(
      kids.map((k) => k.type),
      ["aws:inspector2/enabler:Enabler"],
    );
    assert.deepEqual(kids[0].inputs, { accountIds: ["111111111111"], resourceTypes: ["EC2"] });
  });

  it("adds ECR, the delegated administrator and organisation auto-enable when configured", async function () {
    const s = new AmiScanning("s2", {
      accountId: "111111111111",
      resourceTypes: ["EC2", "ECR"],
      delegatedAdminAccountId: "444444444444",
      organizationAutoEnable: true,
    });
    await settle(s.resourceTypes);
    assert.deepEqual(rec.one("aws:inspector2/enabler:Enabler", "s2-inspector").inputs.resourceTypes, [
      "EC2",
      "ECR",
    ]);
    assert.equal(
      rec.one("aws:inspector2/delegatedAdminAccount:DelegatedAdminAccount", "s2-delegated-admin").inputs
        .accountId,
      "444444444444",
    );
    const org = rec.one(
      "aws:inspector2/organizationConfiguration:OrganizationConfiguration",
      "s2-org-auto-enable",
    );
    assert.deepEqual(org.inputs.autoEnable, { ec2: true, ecr: true, lambda: false, lambdaCode: false });
    const adminUrn = rec.one(
      "aws:inspector2/delegatedAdminAccount:DelegatedAdminAccount",
      "s2-delegated-admin",
    ).urn;
    assert.ok(org.dependencies.includes(adminUrn));
  });

  it("refuses a configuration without EC2", function () {
    assert.throws(
      () =>
        new AmiScanning("s3", {
          accountId: "111111111111",
          resourceTypes: ["ECR"],
          organizationAutoEnable: false,
        }),
      /must scan EC2/,
    );
  });
});
