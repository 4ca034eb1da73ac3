/**
 * Resources that a component of another package creates (an awsx-style ComponentResource) reach the pack as
 * their own types: the program runs under Pulumi's mocks, every registration the component makes is handed
 * to the pack's policies as the engine would hand it, and the children are judged by the table's rules.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import { RULES } from "../../policy-pack/rules/rules";
import { image, runPolicy, useImages } from "../helpers/policy";
import { installMocks, promiseOf, settle, type Recorder } from "../helpers/mocks";

const GOOD = "ami-00000000000000001";
const COMMUNITY = "ami-00000000000000002";

interface BatchClusterArgs {
  /** The AMI the cluster's instances run. */
  readonly imageId: pulumi.Input<string>;
}

/** Shaped like an awsx component: a third-party type token, children parented to it. */
class BatchCluster extends pulumi.ComponentResource {
  readonly computeEnvironmentArn: pulumi.Output<string>;
  constructor(name: string, args: BatchClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("awsx:batch:Cluster", name, {}, opts);
    const lt = new aws.ec2.LaunchTemplate(`${name}-lt`, { imageId: args.imageId }, { parent: this });
    const ce = new aws.batch.ComputeEnvironment(
      `${name}-ce`,
      {
        type: "MANAGED",
        computeResources: {
          type: "EC2",
          maxVcpus: 4,
          subnets: ["subnet-1"],
          ec2Configurations: [{ imageType: "ECS_AL2023", imageIdOverride: args.imageId }],
          launchTemplate: { launchTemplateId: lt.id },
        },
      },
      { parent: this },
    );
    this.computeEnvironmentArn = ce.arn;
    this.registerOutputs({ computeEnvironmentArn: this.computeEnvironmentArn });
  }
}

const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);
const untrusted = resourcePolicies.find((p) => p.name === RULES.untrusted)!;

describe("resources made by an awsx-style component", () => {
  let rec: Recorder;
  before(async () => {
    rec = await installMocks();
  });
  beforeEach(() =>
    useImages([
      image({ ImageId: GOOD }),
      image({ ImageId: COMMUNITY, OwnerId: "999999999999", Public: true }),
    ]),
  );

  const childrenOf = async (name: string, imageId: string) => {
    const c = new BatchCluster(name, { imageId });
    await settle(c.computeEnvironmentArn);
    const urn = await promiseOf(c.urn);
    return rec.registrations.filter((r) => r.parent === urn);
  };

  it("registers its children as their own aws types, and the pack judges each of them", async () => {
    const kids = await childrenOf("bad", COMMUNITY);
    assert.deepEqual(kids.map((k) => k.type).sort(), [
      "aws:batch/computeEnvironment:ComputeEnvironment",
      "aws:ec2/launchTemplate:LaunchTemplate",
    ]);
    for (const k of kids) {
      const r = await runPolicy(untrusted, {
        type: k.type,
        name: k.name,
        props: k.inputs,
        providerProps: { region: "us-east-1" },
        config: { trustedOwners: ["amazon", "111111111111"] },
      });
      assert.equal(r.violations.length, 1, `${k.type}: ${r.violations.join(" | ")}`);
      assert.match(r.violations[0], new RegExp(COMMUNITY));
    }
  });

  it("passes the same component on an approved image", async () => {
    const kids = await childrenOf("good", GOOD);
    for (const k of kids) {
      for (const p of resourcePolicies) {
        const r = await runPolicy(p, {
          type: k.type,
          name: k.name,
          props: k.inputs,
          providerProps: { region: "us-east-1" },
          config: p.name === RULES.untrusted ? { trustedOwners: ["amazon", "111111111111"] } : undefined,
        });
        assert.deepEqual(r.violations, [], `${p.name} on ${k.type}`);
      }
    }
  });

  it("leaves the component itself to the scan (its own inputs hold no AMI)", async () => {
    const comp = rec.registrations.find((r) => r.type === "awsx:batch:Cluster")!;
    const r = await runPolicy(untrusted, { type: comp.type, props: comp.inputs });
    assert.equal(r.notApplicable.length, 1);
  });
});
