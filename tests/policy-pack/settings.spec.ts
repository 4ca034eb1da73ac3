import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policy-pack/policies";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_SETTINGS, SettingsError, resolveSettings } from "../../policy-pack/rules/settings";
import { ec2AmiDisallowStaleImage } from "../../policy-pack/policies/ec2-ami-disallow-stale-image";
import { image, useImages } from "../helpers/policy";

describe("pack settings", () => {
  it("defaults every setting", () => {
    assert.deepEqual(resolveSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(resolveSettings({ enforcementLevel: "advisory" }), DEFAULT_SETTINGS);
  });

  it("names the bad property", () => {
    const bad: [unknown, RegExp][] = [
      [{ maxAgeDays: "30" }, /^p\.maxAgeDays must be a whole number$/],
      [{ maxAgeDays: 1.5 }, /whole number/],
      [{ trustedOwners: "amazon" }, /^p\.trustedOwners must be a list$/],
      [{ trustedOwners: ["12345"] }, /p\.trustedOwners\[0\] "12345" does not match/],
      [{ allowedOrganizations: ["o-123"] }, /allowedOrganizations\[0\]/],
      [{ allowedTagValues: { Approved: "true" } }, /p\.allowedTagValues\.Approved must be a list/],
      [{ requiredTags: ["a", "a"] }, /must not repeat items/],
      [{ trustedOwner: ["amazon"] }, /unknown property p\.trustedOwner/],
      [[], /p must be an object/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => resolveSettings(raw, "p"),
        (e: Error) => e instanceof SettingsError && re.test(e.message),
        JSON.stringify(raw),
      );
    }
  });

  it("ships an example config that every policy accepts", () => {
    const file = path.join(__dirname, "../../policy-pack/config.example.json");
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const names = new Set(policies.map((p) => p.name));
    for (const [name, props] of Object.entries(config)) {
      assert.ok(names.has(name), `${name} is a policy of the pack`);
      const declared = Object.keys(policies.find((p) => p.name === name)!.configSchema?.properties ?? {});
      for (const key of Object.keys(props as object)) {
        if (key !== "enforcementLevel") assert.ok(declared.includes(key), `${name} declares ${key}`);
      }
      resolveSettings(props, name);
    }
  });

  it("gives every policy a complete-sentence description, remediation steps and a schema with defaults", () => {
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9]+-[a-z0-9]+-(disallow|require)-[a-z0-9-]+$/);
      assert.match(p.description, /^[A-Z].{40,}\.$/, p.name);
      assert.match(p.remediationSteps ?? "", /^1\. .+\.$/, p.name);
      for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
        assert.notEqual((s as { default?: unknown }).default, undefined, `${p.name}.${k} has a default`);
      }
    }
  });

  it("follows every configuration the runtime hands out: a changed value, a property more or less, a bad one and back", async () => {
    // The image is 28 days old (helpers/policy.ts NOW); the runtime's getConfig hands out a shallow copy of the
    // engine's configuration on every call, as these args do.
    const ami = "ami-0aaaaaaaaaaaaaaa1";
    useImages([image({ ImageId: ami })]);
    const stale = ec2AmiDisallowStaleImage as ResourceValidationPolicy;
    const judge = async (config: Record<string, unknown>): Promise<string[]> => {
      const out: string[] = [];
      const args = {
        type: "aws:ec2/instance:Instance",
        name: "web",
        urn: "urn:pulumi:test::ami-guard::aws:ec2/instance:Instance::web",
        props: { ami },
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
        provider: {
          type: "pulumi:providers:aws",
          name: "default",
          urn: "urn:p",
          props: { region: "us-east-1" },
        },
        stackTags: new Map<string, string>(),
        getConfig: () => ({ ...config }),
        notApplicable: (reason?: string) => {
          throw new Error(`not applicable: ${reason}`);
        },
        isType: () => false,
        asType: () => undefined,
      } as unknown as ResourceValidationArgs;
      await (stale.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => Promise<void>)(
        args,
        (m) => out.push(m),
      );
      return out;
    };
    const week = { maxAgeDays: 7 };
    const quarter = { maxAgeDays: 90 };
    const steps: [Record<string, unknown>, RegExp | undefined][] = [
      [week, /7 days/],
      [week, /7 days/],
      [quarter, undefined],
      [quarter, undefined],
      [week, /7 days/],
      [{}, undefined], // the default, 90 days
      [week, /7 days/],
      [{ maxAgeDays: 7, maxAgeDay: 7 }, /invalid policy configuration: unknown property .*maxAgeDay\b/],
      [{ maxAgeDays: "7" }, /invalid policy configuration: .*maxAgeDays must be a whole number/],
      [{ maxAgeDays: "7" }, /invalid policy configuration/],
      [week, /7 days/],
    ];
    for (const [i, [config, want]] of steps.entries()) {
      const got = await judge(config);
      if (want === undefined) assert.deepEqual(got, [], `step ${i}: ${JSON.stringify(config)}`);
      else
        assert.ok(
          got.length === 1 && want.test(got[0]),
          `step ${i}: ${JSON.stringify(config)}: ${got.join(" | ")}`,
        );
    }
  });
});
