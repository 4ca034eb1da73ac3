/** The auditor's reading of EventBridge events: which scope, which region, which image. */
import assert from "node:assert/strict";
import { imageIdsIn, targetOf } from "../../src/auditor/events";
import { event } from "./support";

describe("auditor events", () => {
  it("a schedule audits the account in the configured regions", () => {
    const t = targetOf(event("scheduled"));
    assert.deepEqual(t.scope, { kind: "account" });
    assert.equal(t.regions, undefined);
  });

  it("an image event audits the image of its response (CopyImage's new image, never its source)", () => {
    assert.deepEqual(targetOf(event("copy-image")).scope, {
      kind: "images",
      imageIds: ["ami-0bad0000000000003"],
    });
    assert.deepEqual(targetOf(event("copy-image")).regions, ["us-east-1"]);
    assert.deepEqual(imageIdsIn({ sourceImageId: "ami-0aaaaaaaaaaaaaaaa" }), []);
  });

  it("a guardrail event audits the region's guardrails", () => {
    const t = targetOf(event("disable-image-block-public-access"));
    assert.deepEqual(t.scope, { kind: "guardrails" });
    assert.deepEqual(t.regions, ["us-east-1"]);
  });

  it("anything it cannot place is a full audit, never a skip", () => {
    for (const e of [undefined, null, "x", {}, { "detail-type": "Something Else", detail: {} }]) {
      const t = targetOf(e);
      assert.deepEqual(t.scope, { kind: "account" }, JSON.stringify(e));
      assert.notEqual(t.skip, true);
    }
    const noId = event("modify-image-attribute-public") as { detail: Record<string, unknown> };
    noId.detail.requestParameters = { attributeType: "launchPermission" };
    const t = targetOf(noId);
    assert.deepEqual(t.scope, { kind: "account" });
    assert.deepEqual(t.regions, ["us-east-1"]);
  });

  it("a region name it cannot trust falls back to the configured regions", () => {
    const e = event("modify-image-attribute-public") as { region: string; detail: Record<string, unknown> };
    e.detail.awsRegion = "../../etc";
    e.region = "nowhere";
    assert.equal(targetOf(e).regions, undefined);
  });
});
