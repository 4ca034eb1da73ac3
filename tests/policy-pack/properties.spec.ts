/**
 * Property-based: thousands of random input shapes (unknowns, nulls, wrong types, booleans as strings)
 * through every policy, for every type the pack judges, must never throw.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { policies } from "../../policy-pack/policies";
import { TYPES } from "../../policy-pack/core/resources";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";
import type { ResourceValidationPolicy } from "@pulumi/policy";

const ids = ["ami-00000000000000001", "ami-00000000000000002", "ami-0000000000000dead", "resolve:ssm:/x"];

const leaf = fc.oneof(
  fc.constantFrom(UNKNOWN, null, "", "true", "false", "all", "disabled", "block-new-sharing", ...ids),
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
      ),
      tie("v"),
      { maxKeys: 4 },
    ),
  ),
})).v;
const keys = [
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
        fc.constantFrom(...Object.values(TYPES), "aws:s3/bucket:Bucket"),
        props,
        fc.option(fc.dictionary(fc.constantFrom("region"), value), { nil: undefined }),
        fc.array(fc.constantFrom("ami", "imageId", "*", "tags"), { maxLength: 2 }),
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
