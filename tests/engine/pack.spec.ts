/**
 * The policy pack driven through the engine's own protocol: started as `pulumi-analyzer-policy` starts it
 * (run-policy-pack with the pack directory as working directory, port on stdout's first line), then
 * GetPluginInfo, GetAnalyzerInfo, Configure, ConfigureStack, Analyze (with provider and options) and
 * AnalyzeStack over gRPC with the stubs shipped in @pulumi/pulumi.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackProcess } from "../../src/analyzer/client";
import { runPolicyPackScript } from "../../src/analyzer/proto";
import { UNKNOWN_VALUE, type AnalyzerInfo, type PolicyConfig } from "../../src/analyzer/types";
import { RULES } from "../../policy-pack/rules/rules";
import { SETTING_SCHEMAS } from "../../policy-pack/rules/settings";
import {
  PACK_DIR,
  awsProvider,
  image,
  requireBuiltPack,
  resource,
  startPack,
  writeInventory,
} from "../helpers/engine";

const TRUSTED = "123456789012";
const GOOD = "ami-0123456789abcdef0";
const PUBLIC_FOREIGN = "ami-0fedcba9876543210";
const PUBLIC_OURS = "ami-0fffffffffffffff1";
const PLAIN = "ami-0aaaaaaaaaaaaaaa1";
const OLD = "ami-0bbbbbbbbbbbbbbb2";
const UNTAGGED = "ami-0ccccccccccccccc3";
const MISSING = "ami-0eeeeeeeeeeeeeee9";

function configFor(
  info: AnalyzerInfo,
  overrides: Record<string, Partial<PolicyConfig>> = {},
): Record<string, PolicyConfig> {
  const out: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const o = overrides[p.name] ?? {};
    out[p.name] = {
      enforcementLevel: o.enforcementLevel ?? p.enforcementLevel,
      properties: o.properties ?? {},
    };
  }
  return out;
}

const TRUST_US = { properties: { trustedOwners: ["amazon", TRUSTED] } };

describe("policy pack over the engine protocol", function () {
  this.timeout(60_000);
  let pack: PolicyPackProcess;
  let info: AnalyzerInfo;
  let inventory: string;

  before(async () => {
    inventory = writeInventory(
      [
        image({ id: GOOD, owner: TRUSTED }),
        image({ id: PUBLIC_FOREIGN, owner: "999988887777", public: true }),
        // Its launch permissions are known (the owner's export), so it is ours, and public.
        image({ id: PUBLIC_OURS, owner: TRUSTED, public: true, launchPermissions: [{ Group: "all" }] }),
        image({ id: PLAIN, owner: TRUSTED, encrypted: false }),
        image({ id: OLD, owner: TRUSTED, ageDays: 400 }),
        image({ id: UNTAGGED, owner: TRUSTED, tags: { Version: "1" } }),
      ],
      {
        Parameters: [{ Name: "/golden/web", Value: GOOD, Version: 3 }],
        LaunchTemplateVersions: [
          {
            LaunchTemplateId: "lt-0123456789abcdef0",
            LaunchTemplateName: "shared",
            VersionNumber: 2,
            DefaultVersion: true,
            LaunchTemplateData: { ImageId: PUBLIC_FOREIGN },
          },
        ],
      },
    );
    pack = await startPack({ AMI_GUARD_INVENTORY: inventory });
    info = await pack.getAnalyzerInfo();
  });

  after(async () => {
    await pack?.close();
    fs.rmSync(path.dirname(inventory), { recursive: true, force: true });
  });

  it("prints its port as the first line of stdout, as the engine expects", async () => {
    requireBuiltPack();
    const child = spawn(process.execPath, [runPolicyPackScript(PACK_DIR), "127.0.0.1:1", "."], {
      cwd: PACK_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0]);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      assert.match(first, /^[0-9]+$/);
      assert.ok(Number(first) > 0 && Number(first) < 65536);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("answers GetPluginInfo with the @pulumi/policy version", async () => {
    const { version } = await pack.getPluginInfo();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const policyPkg = require(require.resolve("@pulumi/policy/package.json", { paths: [PACK_DIR] })) as {
      version: string;
    };
    assert.equal(version, policyPkg.version.replace(/^v/, ""));
  });

  it("describes every rule of the core as a mandatory resource policy whose config schema uses the shared setting names", () => {
    assert.equal(info.name, "ami-guard");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(info.version, (require(path.join(PACK_DIR, "package.json")) as { version: string }).version);
    assert.ok(info.supportsConfig);
    const names = info.policies.map((p) => p.name);
    for (const rule of Object.values(RULES)) assert.ok(names.includes(rule), `the pack serves ${rule}`);
    for (const p of info.policies) {
      if ((Object.values(RULES) as string[]).includes(p.name)) {
        assert.equal(p.enforcementLevel, "mandatory", p.name);
        assert.equal(p.policyType, "resource", p.name);
      }
      assert.ok(p.configSchema, `${p.name} has a config schema`);
      for (const prop of Object.keys(p.configSchema.properties)) {
        assert.ok(prop in SETTING_SCHEMAS, `${p.name}.${prop} is a shared setting`);
      }
    }
    const stale = info.policies.find((p) => p.name === RULES.stale)!;
    assert.equal((stale.configSchema!.properties.maxAgeDays as { type: string }).type, "integer");
  });

  describe("after Configure and ConfigureStack", () => {
    before(async () => {
      await pack.configure(configFor(info, { [RULES.untrusted]: TRUST_US }));
      await pack.configureStack({
        stack: "test",
        project: "ami-guard",
        organization: "organization",
        dryRun: true,
      });
    });

    const policiesOf = async (r: Parameters<PolicyPackProcess["analyze"]>[0]) =>
      (await pack.analyze(r)).diagnostics.map((d) => `${d.enforcementLevel}:${d.policyName}`).sort();

    it("passes an instance on an approved, encrypted, private AMI of a trusted owner", async () => {
      const r = resource("aws:ec2/instance:Instance", "web", { ami: GOOD, instanceType: "t3.micro" });
      assert.deepEqual(await policiesOf(r), []);
    });

    it("blocks a public community AMI as untrusted, naming the AMI", async () => {
      const r = resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", { imageId: PUBLIC_FOREIGN });
      const res = await pack.analyze(r);
      const untrusted = res.diagnostics.filter((d) => d.policyName === RULES.untrusted);
      assert.equal(untrusted.length, 1, JSON.stringify(res.diagnostics));
      assert.equal(untrusted[0].enforcementLevel, "mandatory");
      assert.equal(untrusted[0].urn, r.urn);
      assert.match(untrusted[0].message, new RegExp(PUBLIC_FOREIGN));
    });

    it("blocks launching our own image that is public, naming the AMI", async () => {
      const r = resource("aws:ec2/instance:Instance", "leak", { ami: PUBLIC_OURS });
      const res = await pack.analyze(r);
      assert.deepEqual(
        res.diagnostics.map((d) => `${d.enforcementLevel}:${d.policyName}`),
        [`mandatory:${RULES.shared}`],
      );
      assert.match(res.diagnostics[0].message, new RegExp(PUBLIC_OURS));
    });

    it("blocks unencrypted, stale and untagged AMIs with the matching policy", async () => {
      assert.deepEqual(await policiesOf(resource("aws:ec2/instance:Instance", "a", { ami: PLAIN })), [
        `mandatory:${RULES.unencrypted}`,
      ]);
      assert.deepEqual(await policiesOf(resource("aws:ec2/instance:Instance", "b", { ami: OLD })), [
        `mandatory:${RULES.stale}`,
      ]);
      assert.deepEqual(await policiesOf(resource("aws:ec2/instance:Instance", "c", { ami: UNTAGGED })), [
        `mandatory:${RULES.untagged}`,
      ]);
    });

    it("reads options.ignoreChanges: ignoring the AMI is a mandatory violation, other properties are not", async () => {
      const ignored = resource(
        "aws:ec2/instance:Instance",
        "pinned",
        { ami: GOOD },
        { ignoreChanges: ["ami"] },
      );
      assert.deepEqual(await policiesOf(ignored), [`mandatory:${RULES.mutable}`]);
      const other = resource(
        "aws:ec2/instance:Instance",
        "tags-only",
        { ami: GOOD },
        { ignoreChanges: ["tags"] },
      );
      assert.deepEqual(await policiesOf(other), []);
    });

    it("reads the provider's region: a missing AMI is reported in that region", async () => {
      const r = resource(
        "aws:ec2/instance:Instance",
        "gone",
        { ami: MISSING },
        {},
        awsProvider("ap-southeast-2"),
      );
      const res = await pack.analyze(r);
      const missing = res.diagnostics.find((d) => d.policyName === RULES.missing);
      assert.ok(missing, JSON.stringify(res.diagnostics));
      assert.equal(missing.enforcementLevel, "mandatory");
      assert.match(missing.message, /ap-southeast-2/);
      assert.match(missing.message, new RegExp(MISSING));
    });

    it("resolves resolve:ssm: parameters and launch templates outside the stack from the inventory", async () => {
      const ok = resource("aws:ec2/instance:Instance", "web", { ami: "resolve:ssm:/golden/web" });
      assert.deepEqual(await policiesOf(ok), []);
      const asg = resource("aws:autoscaling/group:Group", "fleet", {
        launchTemplate: { id: "lt-0123456789abcdef0", version: "$Default" },
      });
      const res = await pack.analyze(asg);
      const untrusted = res.diagnostics.filter((d) => d.policyName === RULES.untrusted);
      assert.equal(untrusted.length, 1);
      assert.equal(untrusted[0].enforcementLevel, "mandatory");
      assert.match(
        untrusted[0].message,
        new RegExp(
          `AMI ${PUBLIC_FOREIGN} .*launch template lt-0123456789abcdef0 \\(version \\$Default = 2, shared\\)`,
        ),
      );
      const missing = resource("aws:ec2/instance:Instance", "gone", { ami: "resolve:ssm:/golden/none" });
      assert.ok((await policiesOf(missing)).includes(`mandatory:${RULES.missing}`));
    });

    it("turns an AMI unknown at preview into an advisory, never a mandatory violation", async () => {
      const r = resource("aws:ec2/instance:Instance", "later", { ami: UNKNOWN_VALUE });
      const res = await pack.analyze(r);
      assert.ok(res.diagnostics.length > 0);
      for (const d of res.diagnostics) assert.equal(d.enforcementLevel, "advisory", d.message);
    });

    it("blocks a public launch permission (group all)", async () => {
      const pub = resource("aws:ec2/amiLaunchPermission:AmiLaunchPermission", "pub", {
        imageId: GOOD,
        group: "all",
      });
      assert.ok((await policiesOf(pub)).includes(`mandatory:${RULES.shared}`));
    });

    it("passes an Image Builder recipe on an AWS-managed parent image", async () => {
      const r = resource("aws:imagebuilder/imageRecipe:ImageRecipe", "recipe", {
        parentImage: "arn:aws:imagebuilder:eu-west-1:aws:image/amazon-linux-2023-x86/x.x.x",
        version: "1.0.0",
        components: [{ componentArn: "arn:aws:imagebuilder:eu-west-1:aws:component/update-linux/x.x.x" }],
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: UNKNOWN_VALUE } },
        ],
      });
      const res = await pack.analyze(r);
      assert.deepEqual(
        res.diagnostics.filter((d) => d.enforcementLevel === "mandatory"),
        [],
      );
    });

    it("runs AnalyzeStack over every resource with its provider, parent and dependencies", async () => {
      const a = resource("aws:ec2/instance:Instance", "web", { ami: GOOD });
      const b = resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", { imageId: GOOD });
      const res = await pack.analyzeStack([
        {
          ...a,
          parent: "urn:pulumi:test::ami-guard::pulumi:pulumi:Stack::ami-guard-test",
          dependencies: [b.urn],
        },
        { ...b, propertyDependencies: { imageId: [] } },
      ]);
      assert.deepEqual(
        res.diagnostics.filter((d) => d.enforcementLevel === "mandatory"),
        [],
      );
    });
  });

  describe("configuration through Configure", () => {
    it("uses the properties it is sent: the trusted owner list decides the verdict", async () => {
      const r = resource("aws:ec2/instance:Instance", "web", { ami: GOOD });
      await pack.configure(configFor(info));
      const strict = (await pack.analyze(r)).diagnostics.map((d) => d.policyName);
      assert.ok(strict.includes(RULES.untrusted), "the default trusts only amazon");
      await pack.configure(configFor(info, { [RULES.untrusted]: TRUST_US }));
      assert.deepEqual((await pack.analyze(r)).diagnostics, []);
    });

    it("honours the enforcement level: disabled silences, advisory downgrades", async () => {
      const r = resource("aws:ec2/instance:Instance", "old", { ami: OLD });
      await pack.configure(
        configFor(info, { [RULES.untrusted]: TRUST_US, [RULES.stale]: { enforcementLevel: "advisory" } }),
      );
      assert.deepEqual(
        (await pack.analyze(r)).diagnostics.map((d) => `${d.enforcementLevel}:${d.policyName}`),
        [`advisory:${RULES.stale}`],
      );
      await pack.configure(
        configFor(info, { [RULES.untrusted]: TRUST_US, [RULES.stale]: { enforcementLevel: "disabled" } }),
      );
      assert.deepEqual((await pack.analyze(r)).diagnostics, []);
      await pack.configure(
        configFor(info, { [RULES.untrusted]: TRUST_US, [RULES.stale]: { properties: { maxAgeDays: 500 } } }),
      );
      assert.deepEqual((await pack.analyze(r)).diagnostics, [], "maxAgeDays 500 accepts a 400-day-old image");
    });
  });

  it("fails closed without an inventory when EC2 cannot be reached (live look-up path)", async () => {
    const live = await startPack({
      AMI_GUARD_INVENTORY: undefined,
      AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
      AWS_SECRET_ACCESS_KEY: "fake",
      AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9",
      AWS_MAX_ATTEMPTS: "1",
      AWS_PROFILE: undefined,
    });
    try {
      const i = await live.getAnalyzerInfo();
      await live.configure(configFor(i, { [RULES.untrusted]: TRUST_US }));
      const res = await live.analyze(resource("aws:ec2/instance:Instance", "web", { ami: GOOD }));
      const mandatory = res.diagnostics.filter((d) => d.enforcementLevel === "mandatory");
      assert.ok(mandatory.length > 0, "an AMI that cannot be verified is not passed");
      assert.ok(mandatory.some((d) => d.message.includes(GOOD)));
    } finally {
      await live.close();
    }
  });
});
