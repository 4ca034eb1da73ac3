/**
 * Property-based: thousands of random input shapes (unknowns, nulls, wrong types, booleans as strings)
 * through every policy, for every type the pack judges, must never throw.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { policies } from "../../policy-pack/policies";
import { AMI_TABLE, TYPES } from "../../policy-pack/rules/resources";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

const ids = ["ami-00000000000000001", "ami-00000000000000002", "ami-0000000000000dead", "resolve:ssm:/x"];

/** Every segment of every path of the resource table, so random inputs reach every listed notation. */
const tableKeys = [
  ...new Set(
    Object.values(AMI_TABLE).flatMap((t) => [
      ...t.properties.flatMap((p) => p.path.split(".").map((s) => s.replace(/\[\]$/, ""))),
      ...(t.when ? [t.when.path] : []),
      ...t.properties.flatMap((p) => Object.keys(p.where ?? {})),
    ]),
  ),
];
const tableValues = [
  "aws:ec2:image",
  "aws:autoscaling:launchconfiguration",
  "ImageId",
  "CUSTOM",
  "AL2_x86_64",
];

const leaf = fc.oneof(
  fc.constantFrom(
    UNKNOWN,
    null,
    "",
    "true",
    "false",
    "all",
    "disabled",
    "block-new-sharing",
    ...ids,
    ...tableValues,
  ),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(undefined),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        "ami",
        "imageId",
        "kmsKeyId",
        "amiTags",
        "launchPermission",
        "userGroups",
        "userIds",
        "amiDistributionConfiguration",
        "region",
        "encrypted",
        "x",
        ...tableKeys,
      ),
      tie("v"),
      { maxKeys: 4 },
    ),
  ),
})).v;
const keys = [
  ...tableKeys,
  "ami",
  "imageId",
  "parentImage",
  "sourceAmiId",
  "sourceAmiRegion",
  "encrypted",
  "kmsKeyId",
  "tags",
  "distributions",
  "launchSpecifications",
  "group",
  "accountId",
  "organizationArn",
  "organizationalUnitArn",
  "state",
  "imageCriterions",
  "ebsBlockDevices",
  "region",
];
const props = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 8 });
const config = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      trustedOwners: fc.oneof(fc.constant(["amazon"]), fc.array(fc.string({ maxLength: 4 }))),
      maxAgeDays: fc.oneof(fc.integer(), fc.string()),
    },
    { requiredKeys: [] },
  ),
);

const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);

describe("every policy over random inputs", () => {
  it("covers every resource policy of the pack", () => assert.equal(resourcePolicies.length, 7));

  before(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001" }),
      image({ ImageId: "ami-00000000000000002", Public: true, OwnerId: "999999999999" }),
    ]),
  );

  it("never throws, whatever the engine sends", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(AMI_TABLE), "aws:s3/bucket:Bucket", "acme:index:Unlisted"),
        props,
        fc.option(fc.dictionary(fc.constantFrom("region"), value), { nil: undefined }),
        fc.array(
          fc.constantFrom("ami", "imageId", "*", "tags", '["ami"]', "launchTemplate", "a[", ...tableKeys),
          {
            maxLength: 2,
          },
        ),
        config,
        async (type, p, providerProps, ignoreChanges, cfg) => {
          for (const policy of resourcePolicies) {
            const r = await runPolicy(policy, {
              type,
              props: p,
              providerProps,
              ignoreChanges,
              config: cfg,
            });
            assert.ok(Array.isArray(r.violations));
            for (const m of r.violations) assert.equal(typeof m, "string");
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("the stack policy over random stacks", () => {
  const stackPolicies = policies.filter((p): p is StackValidationPolicy => "validateStack" in p);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(o: T): T };

  it("never throws, whatever the resources, dependencies and unknowns", async () => {
    assert.equal(stackPolicies.length, 1);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom(
              ...Object.keys(AMI_TABLE),
              ...Object.values(TYPES),
              "aws:imagebuilder/image:Image",
              "aws:ssm/parameter:Parameter",
            ),
            props,
          ),
          {
            maxLength: 6,
          },
        ),
        fc.array(fc.tuple(fc.nat(5), fc.nat(5)), { maxLength: 8 }),
        async (specs, edges) => {
          const resources = specs.map(
            ([type, p], i) =>
              ({
                type,
                name: `r${i}`,
                urn: `urn:pulumi:dev::ami-guard::${type}::r${i}`,
                props: unknownCheckingProxy(JSON.parse(JSON.stringify(p))),
                dependencies: [],
                propertyDependencies: {},
              }) as unknown as PolicyResource,
          );
          for (const [from, to] of edges) {
            if (resources[from] && resources[to]) {
              resources[from].dependencies.push(resources[to]);
              resources[from].propertyDependencies.imageId = [resources[to]];
            }
          }
          for (const p of stackPolicies) {
            await Promise.resolve(
              p.validateStack(
                { resources, stackTags: new Map(), getConfig: () => ({}) } as never,
                () => undefined,
              ),
            );
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
