/**
 * AMIs named through `resolve:ssm:` parameters and launch templates referenced by id or name, through every
 * policy of the pack the way the runtime calls them (tests/helpers/policy.ts), with the parameter values and
 * template versions given as an inventory carries them: passes, failures naming both the reference and the
 * image, fail-closed causes, and values unknown at preview.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import { TEMPLATE_REFERRERS, launchTemplateReferences } from "../../policy-pack/aws/launch-templates";
import {
  UNKNOWN as ENGINE_UNKNOWN,
  TRUST_FIXTURE,
  image,
  runPolicy,
  useImages,
  type TestResource,
} from "../helpers/policy";
import { UNKNOWN } from "../../policy-pack/rules/values";
import { typesWith } from "../../policy-pack/rules/resources";
import type { ParameterValue } from "../../policy-pack/aws/ssm";
import type { RawTemplateVersion } from "../../policy-pack/aws/launch-templates";

const GOOD = "ami-00000000000000001";
const COMMUNITY = "ami-00000000000000002";
const DEAD = "ami-0000000000000dead";
const region = { region: "us-east-1" };

const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);

/** Every resource policy of the pack on one resource: all violations and advisories, and which policies applied. */
async function runAll(r: TestResource) {
  const out = { violations: [] as string[], advisories: [] as string[], applied: [] as string[] };
  for (const p of resourcePolicies) {
    const run = await runPolicy(p, { config: TRUST_FIXTURE, providerProps: region, ...r });
    out.violations.push(...run.violations.map((v) => `[${p.name}] ${v}`));
    out.advisories.push(...run.advisories);
    if (run.notApplicable.length === 0) out.applied.push(p.name);
  }
  return out;
}

const parameters: ParameterValue[] = [
  {
    Name: "/golden/web",
    Value: GOOD,
    Version: 4,
    ARN: "arn:aws:ssm:us-east-1:111111111111:parameter/golden/web",
  },
  { Name: "/golden/web", Value: COMMUNITY, Version: 2, Selector: ":2" },
  { Name: "/golden/web", Value: COMMUNITY, Version: 3, Selector: ":beta" },
  { Name: "/golden/community", Value: COMMUNITY, Version: 1 },
  { Name: "/golden/gone", Value: DEAD, Version: 1 },
  { Name: "/golden/text", Value: "latest-golden", Version: 1 },
  {
    Name: "/golden/elsewhere",
    Value: GOOD,
    Version: 1,
    ARN: "arn:aws:ssm:eu-west-1:111111111111:parameter/golden/elsewhere",
  },
  {
    Name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    Value: "ami-00000000000000003",
    Version: 80,
    ARN: "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  },
];

const templates: RawTemplateVersion[] = [
  {
    LaunchTemplateId: "lt-0000000000000good",
    LaunchTemplateName: "web",
    VersionNumber: 1,
    DefaultVersion: true,
    LaunchTemplateData: { ImageId: GOOD },
  },
  {
    LaunchTemplateId: "lt-0000000000000good",
    LaunchTemplateName: "web",
    VersionNumber: 2,
    DefaultVersion: false,
    LaunchTemplateData: { ImageId: COMMUNITY },
  },
  {
    LaunchTemplateId: "lt-00000000000000ssm",
    LaunchTemplateName: "via-ssm",
    VersionNumber: 5,
    DefaultVersion: true,
    LaunchTemplateData: { ImageId: "resolve:ssm:/golden/community" },
  },
  {
    LaunchTemplateId: "lt-0000000000noimage",
    LaunchTemplateName: "no-image",
    VersionNumber: 1,
    DefaultVersion: true,
    LaunchTemplateData: {},
  },
];

const amazonImage = image({
  ImageId: "ami-00000000000000003",
  OwnerId: "137112412989",
  ImageOwnerAlias: "amazon",
  Public: true,
  Tags: [
    { Key: "Version", Value: "2023" },
    { Key: "Environment", Value: "any" },
    { Key: "Approved", Value: "true" },
  ],
});

describe("resolve:ssm: references through every policy", () => {
  beforeEach(() =>
    useImages(
      [
        image({ ImageId: GOOD }),
        image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
        amazonImage,
      ],
      { parameters, templates },
    ),
  );
  const instance = (ami: unknown): TestResource => ({ type: "aws:ec2/instance:Instance", props: { ami } });

  it("passes a parameter that holds an approved golden image", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/web"));
    assert.deepEqual(r.violations, []);
    assert.deepEqual(r.advisories, []);
  });

  it("passes Amazon's public latest-AMI parameter when amazon is trusted", async () => {
    const r = await runAll(
      instance("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
    );
    assert.deepEqual(r.violations, []);
  });

  it("judges the image a version or label points to, naming the parameter, selector and image", async () => {
    for (const [text, what] of [
      ["resolve:ssm:/golden/web:2", /SSM parameter \/golden\/web version 2/],
      ["resolve:ssm:/golden/web:beta", /SSM parameter \/golden\/web version 3 \(label beta\)/],
    ] as const) {
      const r = await runAll(instance(text));
      const untrusted = r.violations.filter((v) => v.startsWith("[ec2-ami-disallow-untrusted-owner]"));
      assert.equal(untrusted.length, 1, text);
      assert.match(untrusted[0], new RegExp(`AMI ${COMMUNITY} is owned by 999999999999`));
      assert.match(untrusted[0], what);
    }
  });

  it("resolves the parameter ARN form in the ARN's region", async () => {
    const ok = await runAll(instance("resolve:ssm:arn:aws:ssm:us-east-1:111111111111:parameter/golden/web"));
    assert.deepEqual(ok.violations, []);
    const other = await runAll(
      instance("resolve:ssm:arn:aws:ssm:eu-west-1:111111111111:parameter/golden/elsewhere"),
    );
    assert.deepEqual(other.violations, []);
    // The same name without the ARN is looked for in the resource's region, where the inventory has no value.
    const wrong = await runAll(instance("resolve:ssm:/golden/elsewhere"));
    assert.ok(wrong.violations.length > 0);
  });

  it("blocks a public community image behind a parameter in every rule that it breaks", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/community"));
    assert.ok(r.violations.some((v) => v.startsWith("[ec2-ami-disallow-untrusted-owner]")));
    for (const v of r.violations) assert.match(v, /SSM parameter \/golden\/community/);
  });

  it("fails closed in every rule when the parameter has no known value, naming the parameter and cause", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/unknown-to-inventory"));
    for (const name of [
      "untrusted-owner",
      "require-encryption",
      "require-tags",
      "public-sharing",
      "stale-image",
      "missing-image",
    ]) {
      const v = r.violations.find((x) => x.includes(name));
      assert.ok(v, `${name} fails closed`);
      assert.match(
        v,
        /cannot read SSM parameter \/golden\/unknown-to-inventory: the inventory test inventory has no value/,
      );
    }
  });

  it("fails closed when the parameter's value is not an AMI id", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/text"));
    assert.ok(r.violations.length >= 5);
    for (const v of r.violations)
      assert.match(v, /SSM parameter \/golden\/text holds "latest-golden", which is not an AMI id/);
  });

  it("blocks a parameter whose AMI EC2 does not know, naming both", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/gone"));
    assert.equal(r.violations.length, 1);
    assert.match(
      r.violations[0],
      new RegExp(
        `ec2-ami-disallow-missing-image.*AMI ${DEAD} was not found in us-east-1.*SSM parameter /golden/gone`,
      ),
    );
  });

  it("fails closed on a malformed reference", async () => {
    const r = await runAll(instance("resolve:ssm:/golden/web:1:2"));
    assert.ok(r.violations.length >= 5);
    for (const v of r.violations) assert.match(v, /not a valid SSM parameter reference/);
  });

  it("leaves a reference unknown at preview to the update (advisory, no violation)", async () => {
    const r = await runAll(instance(ENGINE_UNKNOWN));
    assert.deepEqual(r.violations, []);
    assert.equal(r.advisories.length, 1);
  });

  it("resolves an Image Builder recipe's parent image given as ssm:<parameter>", async () => {
    const recipe = (parentImage: string): TestResource => ({
      type: "aws:imagebuilder/imageRecipe:ImageRecipe",
      props: { parentImage, version: "1.0.0" },
    });
    assert.deepEqual((await runAll(recipe("ssm:/golden/web"))).violations, []);
    const bad = await runAll(recipe("ssm:/golden/community"));
    assert.ok(
      bad.violations.some((v) => /untrusted-owner.*parentImage → SSM parameter \/golden\/community/.test(v)),
      bad.violations.join("\n"),
    );
  });

  it("resolves parameters in launch templates and Spot Fleet launch specifications too", async () => {
    const lt = await runAll({
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      props: { imageId: "resolve:ssm:/golden/community" },
    });
    assert.ok(lt.violations.some((v) => /untrusted-owner.*SSM parameter \/golden\/community/.test(v)));
    const fleet = await runAll({
      type: "aws:ec2/spotFleetRequest:SpotFleetRequest",
      props: {
        launchSpecifications: [{ ami: "resolve:ssm:/golden/web" }, { ami: "resolve:ssm:/golden/community" }],
      },
    });
    assert.ok(
      fleet.violations.some((v) =>
        /launchSpecifications\[1\]\.ami → SSM parameter \/golden\/community/.test(v),
      ),
    );
    assert.ok(!fleet.violations.some((v) => /golden\/web/.test(v)));
  });
});

describe("launch templates referenced from outside the stack, through every policy", () => {
  beforeEach(() =>
    useImages(
      [image({ ImageId: GOOD }), image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true })],
      {
        parameters,
        templates,
      },
    ),
  );

  const referrers: [string, (lt: Record<string, unknown>) => Record<string, unknown>][] = [
    ["aws:ec2/instance:Instance", (lt) => ({ launchTemplate: lt })],
    ["aws:autoscaling/group:Group", (lt) => ({ launchTemplate: lt })],
    [
      "aws:autoscaling/group:Group",
      (lt) => ({
        mixedInstancesPolicy: {
          launchTemplate: {
            launchTemplateSpecification: {
              launchTemplateId: lt.id,
              launchTemplateName: lt.name,
              version: lt.version,
            },
          },
        },
      }),
    ],
    [
      "aws:ec2/spotFleetRequest:SpotFleetRequest",
      (lt) => ({ launchTemplateConfigs: [{ launchTemplateSpecification: lt }] }),
    ],
    ["aws:eks/nodeGroup:NodeGroup", (lt) => ({ launchTemplate: lt })],
    ["aws:ec2/spotInstanceRequest:SpotInstanceRequest", (lt) => ({ launchTemplate: lt })],
    ["aws:gamelift/gameServerGroup:GameServerGroup", (lt) => ({ launchTemplate: lt })],
    [
      "aws:batch/computeEnvironment:ComputeEnvironment",
      (lt) => ({
        computeResources: {
          launchTemplate: { launchTemplateId: lt.id, launchTemplateName: lt.name, version: lt.version },
        },
      }),
    ],
  ];

  for (const [type, props] of referrers) {
    it(`${type}: passes a template version with a golden image and blocks one with a community image`, async () => {
      const good = await runAll({ type, props: props({ id: "lt-0000000000000good" }) });
      assert.deepEqual(good.violations, [], "$Default (version 1) is golden");
      assert.ok(good.applied.includes("ec2-ami-disallow-untrusted-owner"));
      const bad = await runAll({ type, props: props({ id: "lt-0000000000000good", version: "$Latest" }) });
      const untrusted = bad.violations.filter((v) => v.includes("untrusted-owner"));
      assert.equal(untrusted.length, 1);
      assert.match(untrusted[0], new RegExp(`AMI ${COMMUNITY} is owned by 999999999999`));
      assert.match(untrusted[0], /launch template lt-0000000000000good \(version \$Latest = 2, web\)/);
      const byName = await runAll({ type, props: props({ name: "web", version: "2" }) });
      assert.ok(byName.violations.some((v) => /launch template named "web" \(version 2\)/.test(v)));
    });
  }

  it("judges a template version whose image is itself a resolve:ssm: reference, naming template, parameter and image", async () => {
    const r = await runAll({
      type: "aws:autoscaling/group:Group",
      props: { launchTemplate: { id: "lt-00000000000000ssm", version: "$Default" } },
    });
    const untrusted = r.violations.filter((v) => v.includes("untrusted-owner"));
    assert.equal(untrusted.length, 1);
    assert.match(
      untrusted[0],
      /launch template lt-00000000000000ssm \(version \$Default = 5, via-ssm\) → SSM parameter \/golden\/community version 1/,
    );
    assert.match(untrusted[0], new RegExp(COMMUNITY));
  });

  it("fails closed naming the template, version and cause when the version cannot be read", async () => {
    const r = await runAll({
      type: "aws:autoscaling/group:Group",
      props: { launchTemplate: { id: "lt-0000000000000good", version: "7" } },
    });
    assert.ok(r.violations.length >= 5);
    for (const v of r.violations)
      assert.match(
        v,
        /cannot read launch template lt-0000000000000good \(version 7\): the inventory test inventory does not hold this version/,
      );
    const bad = await runAll({
      type: "aws:eks/nodeGroup:NodeGroup",
      props: { launchTemplate: { name: "web", version: "latest" } },
    });
    for (const v of bad.violations) assert.match(v, /"latest" is not a version EC2 accepts/);
  });

  it("judges a template made in the same stack through the template itself: an unknown id is not a failure", async () => {
    const r = await runAll({
      type: "aws:autoscaling/group:Group",
      props: { launchTemplate: { id: ENGINE_UNKNOWN, version: ENGINE_UNKNOWN } },
    });
    assert.deepEqual(r.violations, []);
  });

  it("has nothing to judge in a template version that names no image (the service picks its own)", async () => {
    const r = await runAll({
      type: "aws:eks/nodeGroup:NodeGroup",
      props: { launchTemplate: { id: "lt-0000000000noimage", version: "1" } },
    });
    assert.deepEqual(r.violations, []);
  });

  it("an Instance's own ami wins over its launch template; Batch's imageId and imageIdOverride too", async () => {
    const own = await runAll({
      type: "aws:ec2/instance:Instance",
      props: { ami: GOOD, launchTemplate: { id: "lt-0000000000000good", version: "2" } },
    });
    assert.deepEqual(own.violations, []);
    assert.deepEqual(
      launchTemplateReferences("aws:batch/computeEnvironment:ComputeEnvironment", {
        computeResources: {
          launchTemplate: { launchTemplateId: "lt-1" },
          ec2Configurations: [{ imageIdOverride: GOOD }],
        },
      }),
      [],
    );
    assert.equal(
      launchTemplateReferences("aws:batch/computeEnvironment:ComputeEnvironment", {
        computeResources: {
          launchTemplate: { launchTemplateId: "lt-1" },
          ec2Configurations: [{ imageIdOverride: GOOD }, { imageType: "ECS_AL2" }],
        },
      }).length,
      1,
      "a configuration without an override still launches the template's image",
    );
  });
});

describe("launchTemplateReferences", () => {
  it("reads every type the resource table says references a launch template", () => {
    for (const type of typesWith("launch-template"))
      assert.ok(
        TEMPLATE_REFERRERS.includes(type),
        `${type} has a launch-template input the pack must follow`,
      );
  });

  it("reads every form of both providers, with $Default when no version is named", () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      [
        "aws:ec2/instance:Instance",
        { launchTemplate: { name: "web" } },
        ["launchTemplate:name=web@$Default"],
      ],
      [
        "aws-native:ec2:Instance",
        { launchTemplate: { launchTemplateId: "lt-1", version: "3" } },
        ["launchTemplate:id=lt-1@3"],
      ],
      [
        "aws:autoscaling/group:Group",
        {
          mixedInstancesPolicy: {
            launchTemplate: {
              launchTemplateSpecification: { launchTemplateName: "a", version: "$Latest" },
              overrides: [
                { instanceType: "t3.micro" },
                { launchTemplateSpecification: { launchTemplateId: "lt-2" } },
              ],
            },
          },
        },
        [
          "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification:name=a@$Latest",
          "mixedInstancesPolicy.launchTemplate.overrides[1].launchTemplateSpecification:id=lt-2@$Default",
        ],
      ],
      [
        "aws-native:autoscaling:AutoScalingGroup",
        { launchTemplate: { launchTemplateName: "b", version: 4 } },
        ["launchTemplate:name=b@4"],
      ],
      [
        "aws:ec2/fleet:Fleet",
        {
          launchTemplateConfigs: [
            { launchTemplateSpecification: { launchTemplateId: "lt-3", version: "1" } },
          ],
        },
        ["launchTemplateConfigs[0].launchTemplateSpecification:id=lt-3@1"],
      ],
      [
        "aws-native:ec2:SpotFleet",
        {
          spotFleetRequestConfigData: {
            launchTemplateConfigs: [
              { launchTemplateSpecification: { launchTemplateName: "c", version: "2" } },
            ],
          },
        },
        ["spotFleetRequestConfigData.launchTemplateConfigs[0].launchTemplateSpecification:name=c@2"],
      ],
      [
        "aws-native:eks:Nodegroup",
        { launchTemplate: { id: "lt-4", version: "1" } },
        ["launchTemplate:id=lt-4@1"],
      ],
      [
        "aws-native:pcs:ComputeNodeGroup",
        { customLaunchTemplate: { templateId: "lt-5", version: "2" } },
        ["customLaunchTemplate:id=lt-5@2"],
      ],
      [
        "aws-native:batch:ComputeEnvironment",
        { computeResources: { launchTemplate: { launchTemplateName: "d" } } },
        ["computeResources.launchTemplate:name=d@$Default"],
      ],
      ["aws:ec2/instance:Instance", { ami: GOOD, launchTemplate: { name: "web" } }, []],
      ["aws:s3/bucket:Bucket", { launchTemplate: { name: "web" } }, []],
    ];
    for (const [type, props, want] of cases) {
      const got = launchTemplateReferences(type, props).map((r) =>
        r.template === UNKNOWN
          ? `${r.path}:unknown`
          : `${r.path}:${r.template.id ? `id=${r.template.id}` : `name=${r.template.name}`}@${r.template.version}`,
      );
      assert.deepEqual(got, want, type);
    }
  });

  it("reports unknown specifications as unknown, never throwing on odd shapes", () => {
    const u = launchTemplateReferences("aws:autoscaling/group:Group", {
      launchTemplate: { id: "lt-1", version: ENGINE_UNKNOWN },
    });
    assert.deepEqual(
      u.map((r) => r.template),
      [UNKNOWN],
      "a version unknown at preview",
    );
    for (const props of [
      { launchTemplate: null },
      { launchTemplate: "x" },
      { mixedInstancesPolicy: 3 },
      { launchTemplateConfigs: [null, 1] },
      { computeResources: [] },
    ]) {
      for (const type of [
        "aws:autoscaling/group:Group",
        "aws:ec2/spotFleetRequest:SpotFleetRequest",
        "aws:batch/computeEnvironment:ComputeEnvironment",
      ])
        assert.doesNotThrow(() => launchTemplateReferences(type, props as Record<string, unknown>));
    }
    assert.deepEqual(
      launchTemplateReferences("aws:autoscaling/group:Group", {
        launchTemplate: { id: UNKNOWN, version: "1" },
      }).map((r) => r.template),
      [UNKNOWN],
    );
  });
});

describe("references never make a policy throw", () => {
  before(() => useImages([image({ ImageId: GOOD })], { parameters, templates }));

  it("random template and parameter shapes through every policy, for every referrer type", async () => {
    const leaf = fc.oneof(
      fc.constantFrom(
        ENGINE_UNKNOWN,
        null,
        "",
        "lt-0000000000000good",
        "lt-00000000000000ssm",
        "web",
        "$Latest",
        "$Default",
        "2",
        "latest",
        GOOD,
        "resolve:ssm:/golden/web",
        "resolve:ssm:/golden/web:beta",
        "resolve:ssm:",
        "ssm:/golden/web",
      ),
      fc.integer(),
      fc.boolean(),
      fc.constant(undefined),
    );
    const key = fc.constantFrom(
      "launchTemplate",
      "mixedInstancesPolicy",
      "launchTemplateSpecification",
      "launchTemplateConfigs",
      "spotFleetRequestConfigData",
      "overrides",
      "computeResources",
      "ec2Configurations",
      "imageIdOverride",
      "id",
      "name",
      "version",
      "launchTemplateId",
      "launchTemplateName",
      "ami",
      "imageId",
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(key, tie("v"), { maxKeys: 4 }),
      ),
    })).v;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TEMPLATE_REFERRERS),
        fc.dictionary(key, value, { maxKeys: 5 }),
        async (type, props) => {
          for (const p of resourcePolicies) {
            const r = await runPolicy(p, { type, props, providerProps: region, config: TRUST_FIXTURE });
            for (const v of r.violations)
              assert.doesNotMatch(v, /policy failed unexpectedly|could not read the resource/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
