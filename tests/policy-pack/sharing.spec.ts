import { strict as assert } from "node:assert";
import { ec2AmiDisallowPublicSharing as policy } from "../../policy-pack/policies/ec2-ami-disallow-public-sharing";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";

const ORG = "arn:aws:organizations::111111111111:organization/o-exampleorg1";
const OU = "arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-cdef3456";
const allow = {
  allowedAccounts: ["222222222222"],
  allowedOrganizations: [ORG],
  allowedOrganizationalUnits: [OU],
};
const region = { region: "us-east-1" };

describe("ec2-ami-disallow-public-sharing", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001", LaunchPermissions: [] }),
      // Public, and no LaunchPermissions: ours only when the settings say so.
      image({ ImageId: "ami-00000000000000002", Public: true, LaunchPermissions: undefined }),
      image({
        ImageId: "ami-00000000000000003",
        OwnerId: "137112412989",
        ImageOwnerAlias: "amazon",
        Public: true,
      }),
      image({
        ImageId: "ami-00000000000000004",
        LaunchPermissions: [{ UserId: "222222222222" }, { UserId: "333333333333" }],
      }),
    ]),
  );

  const launchPermission = (props: Record<string, unknown>) =>
    runPolicy(policy, {
      type: "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
      props: { imageId: "ami-00000000000000001", ...props },
      config: allow,
    });

  it("blocks group=all, naming the AMI", async () => {
    const r = await launchPermission({ group: "all" });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /AMI ami-00000000000000001 is shared publicly/);
  });

  it("allows allow-listed accounts, organizations and OUs, and blocks others", async () => {
    assert.deepEqual((await launchPermission({ accountId: "222222222222" })).violations, []);
    assert.deepEqual((await launchPermission({ organizationArn: ORG })).violations, []);
    assert.deepEqual((await launchPermission({ organizationalUnitArn: OU })).violations, []);
    assert.match(
      (await launchPermission({ accountId: "444444444444" })).violations[0],
      /outside the allow-list: account 444444444444/,
    );
    assert.equal(
      (await launchPermission({ organizationArn: "arn:aws:organizations::9:organization/o-other" }))
        .violations.length,
      1,
    );
    assert.deepEqual((await launchPermission({ accountId: UNKNOWN })).violations, []);
  });

  it("blocks turning image block public access off", async () => {
    const ibpa = (state: unknown) =>
      runPolicy(policy, { type: "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess", props: { state } });
    assert.deepEqual((await ibpa("block-new-sharing")).violations, []);
    assert.match((await ibpa("unblocked")).violations[0], /"unblocked"/);
    assert.deepEqual((await ibpa(UNKNOWN)).violations, []);
  });

  it("blocks Image Builder distributions to all or to accounts outside the allow-list", async () => {
    const r = await runPolicy(policy, {
      type: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      props: {
        distributions: [
          {
            region: "us-east-1",
            amiDistributionConfiguration: {
              launchPermission: { userGroups: ["all"], organizationArns: [ORG] },
            },
          },
          { region: "eu-west-1", amiDistributionConfiguration: { targetAccountIds: ["555555555555"] } },
        ],
      },
      config: allow,
    });
    assert.equal(r.violations.length, 2);
    assert.match(r.violations[0], /publicly/);
    assert.match(r.violations[1], /account 555555555555/);
  });

  it("blocks launching a public image of ours (trusted or allow-listed owner), not Amazon's or a stranger's", async () => {
    const run = (
      ami: string,
      config: Record<string, unknown> = { ...allow, trustedOwners: ["amazon", "111111111111"] },
    ) =>
      runPolicy(policy, {
        type: "aws:ec2/instance:Instance",
        props: { ami },
        providerProps: region,
        config,
      });
    const publicOf = (r: { violations: string[] }) => r.violations.filter((v) => /is public/.test(v));
    assert.equal(publicOf(await run("ami-00000000000000002")).length, 1);
    assert.equal(
      publicOf(await run("ami-00000000000000002", { allowedAccounts: ["111111111111"] })).length,
      1,
    );
    assert.deepEqual(
      (await run("ami-00000000000000002", allow)).violations,
      [],
      "a stranger's image is the trust rule's",
    );
    assert.deepEqual((await run("ami-00000000000000003")).violations, []);
    assert.deepEqual((await run("ami-00000000000000001")).violations, []);
  });

  it("judges an owned image's launch permissions when they are known", async () => {
    const r = await runPolicy(policy, {
      type: "aws:ec2/instance:Instance",
      props: { ami: "ami-00000000000000004" },
      providerProps: region,
      config: allow,
    });
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /account 333333333333/);
  });
});
