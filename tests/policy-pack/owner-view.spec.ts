/**
 * Shared golden images judged as their owner sees them (ownerReadRoles): the tag and sharing policies read an
 * image's tags and launch permissions through the owner account's read role, live over a loopback STS + EC2
 * endpoint whose answers differ by caller, or offline from the inventory's OwnerViews. Without the setting
 * they say what this account cannot see and which setting would fix it; with it, they fail closed (naming the
 * role and the cause) when the owner's view cannot be had.
 */
import { strict as assert } from "node:assert";
import { ec2AmiRequireTags as tags } from "../../policy-pack/policies/ec2-ami-require-tags";
import { ec2AmiDisallowPublicSharing as sharing } from "../../policy-pack/policies/ec2-ami-disallow-public-sharing";
import { Ec2Source, InventoryError, defaultClientFor } from "../../policy-pack/aws/lookup";
import { setAmiSource, setClock } from "../../policy-pack/runtime/policy";
import {
  AssumedRoleViews,
  InventoryOwnerViews,
  parseOwnerViews,
  setOwnerViews,
} from "../../policy-pack/aws/owner";
import { sessionName } from "../../policy-pack/aws/assume-role";
import { SettingsError, resolveSettings } from "../../policy-pack/rules/settings";
import { factsFromImage, type AmiFacts } from "../../policy-pack/rules/facts";
import {
  LOOPBACK_ENV_KEYS,
  startEc2Server,
  useLoopbackEnvironment,
  type Ec2Server,
} from "../../testing/ec2-server";
import {
  BUILD_ACCOUNT,
  OWNER_KEY,
  OWNER_READ_ROLE,
  WORKLOAD_KEY,
  estateHandlers,
  newEstateLog,
  type Estate,
  type EstateLog,
} from "../../testing/estate";
import { NOW, image, runPolicy, useImages } from "../helpers/policy";

const ORG = "arn:aws:organizations::111111111111:organization/o-exampleorgid";
const GOOD = "ami-0a000000000000001";
const UNAPPROVED = "ami-0a000000000000002";
const PUBLIC = "ami-0a000000000000003";
const OUTSIDE = "ami-0a000000000000004";

const owned = (id: string, extra: Record<string, unknown> = {}) =>
  image({ ImageId: id, OwnerId: BUILD_ACCOUNT, ...extra });
const ESTATE: Estate = {
  images: [
    owned(GOOD),
    owned(UNAPPROVED, {
      Tags: [
        { Key: "Version", Value: "1.4.0" },
        { Key: "Environment", Value: "build" },
        { Key: "Approved", Value: "false" },
      ],
    }),
    owned(PUBLIC),
    owned(OUTSIDE),
  ],
  launchPermissions: {
    [GOOD]: [{ OrganizationArn: ORG }],
    [UNAPPROVED]: [{ OrganizationArn: ORG }],
    [PUBLIC]: [{ Group: "all" }],
    [OUTSIDE]: [{ OrganizationArn: ORG }, { UserId: "999999999999" }],
  },
};

const ROLES = { ownerReadRoles: { [BUILD_ACCOUNT]: OWNER_READ_ROLE } };
const SHARING = { trustedOwners: ["amazon", BUILD_ACCOUNT], allowedOrganizations: [ORG] };

const launch = (policy: typeof tags, ami: string, config: Record<string, unknown>) =>
  runPolicy(policy, {
    type: "aws:ec2/instance:Instance",
    name: ami,
    props: { ami },
    providerProps: { region: "us-east-1" },
    config,
  });

describe("ownerReadRoles: the setting", () => {
  it("maps a 12-digit owner account to a role ARN in that same account", () => {
    assert.deepEqual(resolveSettings(ROLES).ownerReadRoles, ROLES.ownerReadRoles);
    assert.deepEqual(resolveSettings({}).ownerReadRoles, {});
    const bad: [unknown, RegExp][] = [
      [{ "44444444444": OWNER_READ_ROLE }, /p\.ownerReadRoles key "44444444444" does not match/],
      [{ [BUILD_ACCOUNT]: "arn:aws:iam::444444444444:user/reader" }, /p\.ownerReadRoles\.444444444444 "arn/],
      [{ [BUILD_ACCOUNT]: 7 }, /must be a string/],
      [
        { [BUILD_ACCOUNT]: "arn:aws:iam::555555555555:role/ami-guard/ami-owner-read" },
        /is a role in account 555555555555, not in owner account 444444444444/,
      ],
      [[OWNER_READ_ROLE], /must be an object/],
    ];
    for (const [value, re] of bad) {
      assert.throws(
        () => resolveSettings({ ownerReadRoles: value }, "p"),
        (e: Error) => e instanceof SettingsError && re.test(e.message),
        JSON.stringify(value),
      );
    }
  });

  it("is read by the tag and sharing policies", () => {
    for (const p of [tags, sharing])
      assert.ok("ownerReadRoles" in (p.configSchema?.properties ?? {}), p.name);
  });

  it("names the stack in the session name, within STS's rules", () => {
    assert.equal(
      sessionName({ PULUMI_PROJECT: "ami-guard", PULUMI_STACK: "workload" }),
      "ami-guard-workload",
    );
    assert.equal(
      sessionName({ PULUMI_PROJECT: "shop", PULUMI_STACK: "acme/shop/prod eu" }),
      "ami-guard-shop-acme-shop-prod-eu",
    );
    assert.equal(sessionName({}, "audit"), "ami-guard-audit");
    const long = sessionName({ PULUMI_STACK: "x".repeat(200) });
    assert.equal(long.length, 64);
    assert.match(long, /^[\w+=,.@-]{2,64}$/);
  });
});

describe("ownerReadRoles: offline, from the inventory's OwnerViews", () => {
  // The workload account's view: the shared images without tags or launch permissions.
  const workloadView = () => useImages(ESTATE.images.map((i) => ({ ...i, Tags: [] })));
  const ownerViews = (images = ESTATE.images) => ({
    OwnerViews: {
      [BUILD_ACCOUNT]: {
        Images: images.map((i) => ({ ...i, LaunchPermissions: ESTATE.launchPermissions[String(i.ImageId)] })),
      },
    },
  });
  afterEach(() => setOwnerViews(undefined));

  it("passes an approved image shared within the allow-list, in the owner's view", async () => {
    workloadView();
    setOwnerViews(new InventoryOwnerViews(parseOwnerViews(ownerViews(), "inv.json"), "inv.json"));
    assert.deepEqual((await launch(tags, GOOD, ROLES)).violations, []);
    assert.deepEqual((await launch(sharing, GOOD, { ...ROLES, ...SHARING })).violations, []);
  });

  it("blocks, in the owner's view, an unapproved image, a public one and one shared outside the allow-list", async () => {
    workloadView();
    setOwnerViews(new InventoryOwnerViews(parseOwnerViews(ownerViews(), "inv.json"), "inv.json"));
    assert.match((await launch(tags, UNAPPROVED, ROLES)).violations[0], /Approved="false"/);
    assert.match(
      (await launch(sharing, PUBLIC, { ...ROLES, ...SHARING })).violations[0],
      /is shared publicly/,
    );
    assert.match(
      (await launch(sharing, OUTSIDE, { ...ROLES, ...SHARING })).violations[0],
      /outside the allow-list: account 999999999999/,
    );
  });

  it("fails closed when the inventory holds no owner's view, or one without launch permissions", async () => {
    workloadView();
    setOwnerViews(new InventoryOwnerViews(new Map(), "inv.json"));
    const none = (await launch(tags, GOOD, ROLES)).violations;
    assert.equal(none.length, 1);
    assert.match(
      none[0],
      /cannot read the tags of AMI ami-0a000000000000001 in us-east-1 as its owner, account 444444444444/,
    );
    assert.match(none[0], /holds no view of owner account 444444444444.*Failing closed/);
    const noPerms = parseOwnerViews(
      { OwnerViews: { [BUILD_ACCOUNT]: { Images: [owned(GOOD)] } } },
      "inv.json",
    );
    setOwnerViews(new InventoryOwnerViews(noPerms, "inv.json"));
    assert.match(
      (await launch(sharing, GOOD, { ...ROLES, ...SHARING })).violations[0],
      /cannot read the launch permissions .*no LaunchPermissions/,
    );
    // A view filed under the wrong account does not speak for the image.
    const wrong = parseOwnerViews(
      {
        OwnerViews: {
          [BUILD_ACCOUNT]: { Images: [{ ...owned(GOOD), OwnerId: "666666666666", LaunchPermissions: [] }] },
        },
      },
      "inv.json",
    );
    setOwnerViews(new InventoryOwnerViews(wrong, "inv.json"));
    assert.match((await launch(tags, GOOD, ROLES)).violations[0], /owned by 666666666666, not 444444444444/);
  });

  it("rejects a malformed OwnerViews section, naming the file and key", () => {
    const bad: [unknown, RegExp][] = [
      [{ OwnerViews: [] }, /inv\.json: OwnerViews must be an object/],
      [{ OwnerViews: { build: { Images: [] } } }, /OwnerViews key "build" is not a 12-digit account id/],
      [{ OwnerViews: { [BUILD_ACCOUNT]: [] } }, /OwnerViews\.444444444444 must be \{"Images"/],
      [
        { OwnerViews: { [BUILD_ACCOUNT]: { Images: [{}] } } },
        /OwnerViews\.444444444444\.Images\[0\] has no ImageId/,
      ],
    ];
    for (const [doc, re] of bad)
      assert.throws(
        () => parseOwnerViews(doc, "inv.json"),
        (e: Error) => e instanceof InventoryError && re.test(e.message),
      );
    assert.equal(parseOwnerViews({ Images: [] }, "inv.json").size, 0);
  });
});

describe("ownerReadRoles: live, over a loopback STS and EC2 whose answers differ by caller", () => {
  // Every key the suite may set, the shared loopback list and the stack the owner views are read for.
  const ENV = [...LOOPBACK_ENV_KEYS, "PULUMI_STACK", "PULUMI_PROJECT"];
  useLoopbackEnvironment({}, ENV);
  let server: Ec2Server | undefined;
  let log: EstateLog;
  let views: AssumedRoleViews;

  afterEach(async () => {
    setOwnerViews(undefined);
    setAmiSource(undefined);
    await server?.close();
    server = undefined;
  });

  async function serve(estate: Estate = ESTATE): Promise<void> {
    log = newEstateLog();
    server = await startEc2Server({ handlers: estateHandlers(estate, log) });
    for (const k of ENV) delete process.env[k];
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: server.url,
      AWS_ENDPOINT_URL_STS: server.url,
      AWS_ACCESS_KEY_ID: WORKLOAD_KEY,
      AWS_SECRET_ACCESS_KEY: "workload-secret",
      AWS_MAX_ATTEMPTS: "1",
      AMI_GUARD_EC2_TIMEOUT_MS: "3000",
      PULUMI_PROJECT: "ami-guard",
      PULUMI_STACK: "workload",
    });
    setClock(() => NOW);
    setAmiSource(new Ec2Source({ clientFor: defaultClientFor }));
    views = new AssumedRoleViews();
    setOwnerViews(views);
  }

  const count = (ids: string[] | undefined, id: string) => (ids ?? []).filter((x) => x === id).length;

  it("without the setting: says the shared image's tags are not visible here, and its sharing cannot be verified", async () => {
    await serve();
    const t = (await launch(tags, GOOD, {})).violations;
    assert.equal(t.length, 1);
    assert.match(
      t[0],
      /AMI ami-0a000000000000001 is owned by account 444444444444 and shared with this account/,
    );
    assert.match(t[0], /tags \(Version, Environment, Approved\) are not visible here/);
    assert.doesNotMatch(t[0], /is missing required tag/);
    assert.match(t[0], /set ownerReadRoles \{"444444444444": "arn:aws:iam::444444444444:role\//);
    const s = (await launch(sharing, GOOD, SHARING)).violations;
    assert.equal(s.length, 1);
    assert.match(
      s[0],
      /only the owner can read an image's launch permissions.*cannot be verified.*Failing closed/,
    );
    assert.match(s[0], /set ownerReadRoles/);
    // A stranger's image is the trust rule's business, not the sharing rule's.
    assert.deepEqual((await launch(sharing, GOOD, { allowedOrganizations: [ORG] })).violations, []);
    assert.equal(log.assumeRole.length, 0, "no role is assumed without the setting");
    assert.equal(count(log.describeImages[WORKLOAD_KEY], GOOD), 1, "one DescribeImages per image");
    assert.equal(
      count(log.describeImageAttribute[WORKLOAD_KEY], GOOD),
      1,
      "one refused DescribeImageAttribute",
    );
  });

  it("with the setting: judges tags and sharing as the owner sees them, one AssumeRole, one read per image per view", async () => {
    await serve();
    const config = { ...ROLES, ...SHARING };
    const ids = [GOOD, UNAPPROVED, PUBLIC, OUTSIDE];
    const runs = await Promise.all(
      ids.flatMap((id) => [launch(tags, id, config), launch(sharing, id, config)]),
    );
    const [goodT, goodS, unT, unS, pubT, pubS, outT, outS] = runs.map((r) => r.violations);
    assert.deepEqual([goodT, goodS], [[], []], "the approved golden image, shared with the org only, passes");
    assert.equal(unT.length, 1);
    assert.match(unT[0], /AMI ami-0a000000000000002 has tag value\(s\) not allowed: Approved="false"/);
    assert.deepEqual(unS, []);
    assert.deepEqual(pubT, []);
    assert.equal(pubS.length, 1);
    assert.match(pubS[0], /AMI ami-0a000000000000003 is shared publicly \(launch permission group all\)/);
    assert.deepEqual(outT, []);
    assert.equal(outS.length, 1);
    assert.match(outS[0], /shared outside the allow-list: account 999999999999/);

    // Calls: one AssumeRole for the role (900 s, the stack in the session name), and per distinct image one
    // DescribeImages in each view (batched) and one DescribeImageAttribute, in the owner's view only.
    assert.equal(log.assumeRole.length, 1);
    assert.equal(log.assumeRole[0].RoleArn, OWNER_READ_ROLE);
    assert.equal(log.assumeRole[0].RoleSessionName, "ami-guard-workload");
    assert.equal(log.assumeRole[0].DurationSeconds, "900");
    for (const id of ids) {
      assert.equal(count(log.describeImages[WORKLOAD_KEY], id), 1, `${id}: workload DescribeImages`);
      assert.equal(count(log.describeImages[OWNER_KEY], id), 1, `${id}: owner DescribeImages`);
      assert.equal(
        count(log.describeImageAttribute[OWNER_KEY], id),
        1,
        `${id}: owner DescribeImageAttribute`,
      );
      assert.equal(
        count(log.describeImageAttribute[WORKLOAD_KEY], id),
        0,
        `${id}: not asked as the workload`,
      );
    }
    assert.deepEqual(views.calls, { assumeRole: 1, describeImages: 1, describeImageAttribute: 4 });
  });

  it("fails closed, naming the role and the cause, when the role cannot be assumed", async () => {
    await serve({ ...ESTATE, assumable: [] });
    const config = { ...ROLES, ...SHARING };
    const t = (await launch(tags, GOOD, config)).violations;
    const s = (await launch(sharing, GOOD, config)).violations;
    for (const v of [t, s]) {
      assert.equal(v.length, 1);
      assert.match(
        v[0],
        /as its owner, account 444444444444, sees them \(role arn:aws:iam::444444444444:role\/ami-guard\/ami-owner-read\): the role could not be assumed \(sts:AssumeRole: AccessDenied.*Failing closed/,
      );
    }
    assert.equal(log.describeImages[OWNER_KEY], undefined, "nothing is read without the role");
  });
});

describe("ownerReadRoles: the owner's facts replace this account's", () => {
  it("ignores tags this account put on a shared image when the owner's view is configured", async () => {
    // The workload account tagged the shared image Approved=true itself; the owner never approved it.
    useImages([
      owned(UNAPPROVED, {
        Tags: [
          { Key: "Version", Value: "1" },
          { Key: "Environment", Value: "x" },
          { Key: "Approved", Value: "true" },
        ],
      }),
    ]);
    const ownerFacts = factsFromImage({ ...ESTATE.images[1], LaunchPermissions: [] }) as AmiFacts;
    setOwnerViews(
      new InventoryOwnerViews(new Map([[BUILD_ACCOUNT, new Map([[UNAPPROVED, ownerFacts]])]]), "inv.json"),
    );
    try {
      assert.match((await launch(tags, UNAPPROVED, ROLES)).violations[0], /Approved="false"/);
    } finally {
      setOwnerViews(undefined);
    }
  });
});
