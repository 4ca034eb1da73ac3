import { strict as assert } from "node:assert";
import { ec2AmiDisallowStaleImage as policy } from "../../policy-pack/policies/ec2-ami-disallow-stale-image";
import { UNKNOWN, image, runPolicy, useImages } from "../helpers/policy";

const region = { region: "us-east-1" };
const lc = (imageId: unknown, config?: Record<string, unknown>) => ({
  type: "aws:ec2/launchConfiguration:LaunchConfiguration",
  props: { imageId },
  providerProps: region,
  config,
});

describe("ec2-ami-disallow-stale-image", () => {
  beforeEach(() =>
    useImages([
      image({ ImageId: "ami-00000000000000001", CreationDate: "2026-11-01T00:00:00.000Z" }),
      image({ ImageId: "ami-00000000000000002", CreationDate: "2026-01-01T00:00:00.000Z" }),
      image({ ImageId: "ami-00000000000000003", DeprecationTime: "2026-11-20T00:00:00.000Z" }),
      image({ ImageId: "ami-00000000000000004", State: "deregistered" }),
      image({ ImageId: "ami-00000000000000005", DeprecationTime: "2027-06-01T00:00:00.000Z" }),
    ]),
  );

  it("passes a fresh image, and one whose deprecation is in the future", async () => {
    assert.deepEqual((await runPolicy(policy, lc("ami-00000000000000001"))).violations, []);
    assert.deepEqual((await runPolicy(policy, lc("ami-00000000000000005"))).violations, []);
  });

  it("blocks an image older than the maximum age, with its age", async () => {
    const r = await runPolicy(policy, lc("ami-00000000000000002"));
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0], /is 332 days old \(created 2026-01-01\), over the maximum of 90 days/);
  });

  it("takes maxAgeDays from config", async () => {
    assert.equal(
      (await runPolicy(policy, lc("ami-00000000000000001", { maxAgeDays: 7 }))).violations.length,
      1,
    );
    assert.deepEqual(
      (await runPolicy(policy, lc("ami-00000000000000002", { maxAgeDays: 400 }))).violations,
      [],
    );
    assert.match(
      (await runPolicy(policy, lc("ami-00000000000000001", { maxAgeDays: 0 }))).violations[0],
      /maxAgeDays must be at least 1/,
    );
  });

  it("blocks deprecated and deregistered images", async () => {
    assert.match(
      (await runPolicy(policy, lc("ami-00000000000000003"))).violations[0],
      /deprecated on 2026-11-20/,
    );
    assert.match(
      (await runPolicy(policy, lc("ami-00000000000000004"))).violations[0],
      /state "deregistered"/,
    );
  });

  it("does nothing with an unknown id", async () => {
    assert.deepEqual((await runPolicy(policy, lc(UNKNOWN))).violations, []);
  });
});
