/**
 * Shared Pulumi mocks for component and program tests. `installMocks` sets the config, installs mocks that
 * answer with realistic ids and outputs (ARNs, key ids, an AMI from Image Builder, …) and records every
 * registration with the preview's own recorder (`src/preview/recorder.ts`: type, name, URN, inputs, provider,
 * parent and options), handing the inputs to specs deserialised as the SDK deserialises them. Mocks are global
 * per process: install them once per spec file (mocha runs spec files in separate worker processes, possibly
 * one after the other).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readProject, readStackConfig } from "../../src/preview/project";
import type { RegisteredResource } from "../../src/preview/protocol";
import { deserializeWire, recordRegistrations } from "../../src/preview/recorder";

/** One recorded registration: the recorder's wire record, its inputs deserialised. */
export interface Registration extends Readonly<Omit<RegisteredResource, "inputs">> {
  readonly inputs: Record<string, unknown>;
  /** The registration as recorded (inputs in wire form, as the engine and the policy pack receive them). */
  readonly wire: RegisteredResource;
}

export interface MockOptions {
  /** Full config map (`namespace:key` → string; lists as JSON). */
  readonly config?: Record<string, string>;
  readonly project?: string;
  readonly stack?: string;
  readonly accountId?: string;
  readonly region?: string;
}

/** The recorded registrations and lookup helpers. */
export class Recorder {
  private readonly seen = new WeakMap<RegisteredResource, Registration>();

  /**
   * @param wire the recorder's live list of registrations
   * @param calls the provider functions (invokes) the program called, by token
   */
  constructor(
    private readonly wire: readonly RegisteredResource[],
    readonly calls: string[],
  ) {}

  /** Every registration so far, in the order the program made them. */
  get registrations(): Registration[] {
    return this.wire.map((w) => {
      let r = this.seen.get(w);
      if (!r) {
        r = { ...w, inputs: deserializeWire(pulumi, w.inputs), wire: w };
        this.seen.set(w, r);
      }
      return r;
    });
  }

  /** All registrations of `type`. */
  ofType(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  /** The single registration of `type` (and `name` if given); throws unless exactly one matches. */
  one(type: string, name?: string): Registration {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      throw new Error(`expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    }
    return found[0];
  }

  /** Custom (non-component) resource counts by type. */
  countsByType(opts: { custom?: boolean } = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.registrations) {
      if (opts.custom !== undefined && r.custom !== opts.custom) continue;
      out[r.type] = (out[r.type] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Registrations whose parent is the component registered as `urnOrName` (its URN, or its name). */
  childrenOf(parent: Registration): Registration[] {
    return this.registrations.filter((r) => r.parent === parent.urn);
  }
}

/** The AMI id the mocked Image Builder image produces. */
export const MOCK_AMI_ID = "ami-0123456789abcdef0";
/** The launch time the mocked AMI protection computes its deprecation time from. */
export const MOCK_IMAGE_CREATED = "2025-01-01T00:00:00.000Z";

function mockState(
  args: pulumi.runtime.MockResourceArgs,
  accountId: string,
  region: string,
): { id: string; state: Record<string, unknown> } {
  const i = args.inputs as Record<string, unknown>;
  const name = (i.name as string | undefined) ?? args.name;
  const arn = (svc: string, rest: string, withRegion = true) =>
    `arn:aws:${svc}:${withRegion ? region : ""}:${accountId}:${rest}`;
  switch (args.type) {
    case "aws:kms/key:Key": {
      const keyId = `0000aaaa-1111-2222-3333-${Buffer.from(args.name).toString("hex").slice(0, 12).padEnd(12, "0")}`;
      return { id: keyId, state: { ...i, keyId, arn: arn("kms", `key/${keyId}`) } };
    }
    case "aws:kms/alias:Alias":
      return { id: name, state: { ...i, name, arn: arn("kms", name) } };
    case "aws:kms/grant:Grant":
      return { id: `${args.name}-grant`, state: { ...i, grantId: `grant-${args.name}` } };
    case "aws:iam/role:Role": {
      const p = (i.path as string | undefined) ?? "/";
      return {
        id: name,
        state: { ...i, name, arn: `arn:aws:iam::${accountId}:role${p}${name}`, uniqueId: "AROAMOCK" },
      };
    }
    case "aws:iam/policy:Policy": {
      const p = (i.path as string | undefined) ?? "/";
      const pa = `arn:aws:iam::${accountId}:policy${p}${name}`;
      return { id: pa, state: { ...i, name, arn: pa } };
    }
    case "aws:iam/instanceProfile:InstanceProfile":
      return { id: name, state: { ...i, name, arn: `arn:aws:iam::${accountId}:instance-profile/${name}` } };
    case "aws:iam/serviceLinkedRole:ServiceLinkedRole": {
      const svc = i.awsServiceName as string;
      const n = "AWSServiceRoleForAutoScaling";
      return {
        id: n,
        state: { ...i, name: n, arn: `arn:aws:iam::${accountId}:role/aws-service-role/${svc}/${n}` },
      };
    }
    case "aws:s3/bucket:Bucket": {
      const bucket =
        (i.bucket as string | undefined) ?? `${(i.bucketPrefix as string | undefined) ?? args.name}0123abcd`;
      return { id: bucket, state: { ...i, bucket, arn: `arn:aws:s3:::${bucket}` } };
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: name, state: { ...i, name, arn: arn("logs", `log-group:${name}`) } };
    case "aws:cloudtrail/trail:Trail":
      return { id: name, state: { ...i, name, arn: arn("cloudtrail", `trail/${name}`) } };
    case "aws:sns/topic:Topic": {
      const ta = arn("sns", name);
      return { id: ta, state: { ...i, name, arn: ta } };
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { id: name, state: { ...i, name, arn: arn("cloudwatch", `alarm:${name}`) } };
    case "aws:imagebuilder/imageRecipe:ImageRecipe":
      return {
        id: name,
        state: { ...i, arn: arn("imagebuilder", `image-recipe/${name}/${i.version as string}`) },
      };
    case "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration":
      return { id: name, state: { ...i, arn: arn("imagebuilder", `infrastructure-configuration/${name}`) } };
    case "aws:imagebuilder/distributionConfiguration:DistributionConfiguration":
      return { id: name, state: { ...i, arn: arn("imagebuilder", `distribution-configuration/${name}`) } };
    case "aws:imagebuilder/imagePipeline:ImagePipeline":
      return { id: name, state: { ...i, arn: arn("imagebuilder", `image-pipeline/${name}`) } };
    case "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy":
      return { id: name, state: { ...i, arn: arn("imagebuilder", `lifecycle-policy/${name}`) } };
    case "aws:imagebuilder/image:Image": {
      const ia = arn("imagebuilder", `image/${args.name}/1.0.0/1`);
      return {
        id: ia,
        state: {
          ...i,
          arn: ia,
          dateCreated: MOCK_IMAGE_CREATED,
          outputResources: [
            {
              amis: [{ accountId, region, image: MOCK_AMI_ID, name: `${args.name}-ami`, description: "" }],
              containers: [],
            },
          ],
        },
      };
    }
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return {
        id: "lt-0123456789abcdef0",
        state: {
          ...i,
          arn: arn("ec2", "launch-template/lt-0123456789abcdef0"),
          latestVersion: 1,
          defaultVersion: 1,
        },
      };
    case "aws:autoscaling/group:Group":
      return {
        id: name,
        state: { ...i, name, arn: arn("autoscaling", `autoScalingGroup:mock:autoScalingGroupName/${name}`) },
      };
    case "aws:organizations/policy:Policy":
      return {
        id: "p-examplescp1",
        state: {
          ...i,
          arn: `arn:aws:organizations::${accountId}:policy/o-exampleorgid/service_control_policy/p-examplescp1`,
        },
      };
    case "pulumi-nodejs:dynamic/ami-guard:AmiProtection": {
      const days = Number(i.deprecateAfterDays);
      const deprecationTime = new Date(Date.parse(MOCK_IMAGE_CREATED) + days * 86_400_000).toISOString();
      return { id: i.imageId as string, state: { ...i, deprecationTime } };
    }
    default:
      return {
        id: `${args.name}-id`,
        state: { ...i, arn: (i.arn as string | undefined) ?? arn("mock", args.name) },
      };
  }
}

/**
 * Sets the config and installs mocks that record every registration. Returns the recorder.
 */
export async function installMocks(opts: MockOptions = {}): Promise<Recorder> {
  const accountId = opts.accountId ?? "111111111111";
  const region = opts.region ?? opts.config?.["aws:region"] ?? "us-east-1";
  const calls: string[] = [];
  pulumi.runtime.setAllConfig(opts.config ?? {});
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => mockState(args, accountId, region),
      call: (args) => {
        calls.push(args.token);
        switch (args.token) {
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
              accountId,
              arn: `arn:aws:iam::${accountId}:role/deployer`,
              userId: "AROAMOCK:deployer",
              id: accountId,
            };
          case "aws:index/getPartition:getPartition":
            return {
              partition: "aws",
              dnsSuffix: "amazonaws.com",
              reverseDnsPrefix: "com.amazonaws",
              id: "aws",
            };
          case "aws:index/getRegion:getRegion":
            return { name: region, region, id: region };
          default:
            throw new Error(`unexpected provider call ${args.token}`);
        }
      },
    },
    opts.project ?? "ami-guard",
    opts.stack ?? "test",
    false,
  );
  return new Recorder(recordRegistrations(pulumi), calls);
}

/** Waits until every outstanding registration has been answered. */
export async function settle(...outputs: pulumi.Input<unknown>[]): Promise<void> {
  await Promise.all(outputs.map((o) => promiseOf(o)));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/** The value of an output (or plain value). */
export function promiseOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/**
 * The config of a shipped stack as the Pulumi CLI hands it to the program (the preview's own reader): the
 * project defaults of Pulumi.yaml overlaid by stacks/Pulumi.<stack>.yaml (or `stackFile`); lists as JSON text,
 * scalars as strings.
 */
export function loadStackConfig(
  stack: string,
  root = path.resolve(__dirname, "../.."),
  stackFile?: string,
): Record<string, string> {
  return readStackConfig(readProject(root), stack, stackFile).config;
}
