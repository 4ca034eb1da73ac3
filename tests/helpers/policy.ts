/**
 * Runs a resource policy the way @pulumi/policy's server does (policy-pack server.js, makeAnalyzeRpcFun):
 * props behind the real unknown-checking proxy, `getConfig` returning the configured properties,
 * `notApplicable` throwing, UnknownValueError turned into an advisory diagnostic, and any other exception
 * surfacing as a failure (the engine would fail the preview).
 */
import type { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { InventorySource } from "../../policy-pack/aws/lookup";
import { setAmiSource, setClock } from "../../policy-pack/runtime/policy";
import { factsFromImage, type AmiFacts } from "../../policy-pack/rules/facts";
import { setReferenceSources } from "../../policy-pack/aws/references";
import { setSnapshotSource } from "../../policy-pack/aws/snapshots";
import { InventoryParameterSource, type ParameterValue } from "../../policy-pack/aws/ssm";
import { InventoryTemplateSource, type RawTemplateVersion } from "../../policy-pack/aws/launch-templates";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(o: T): T;
  UnknownValueError: new (...a: unknown[]) => Error;
  unknownStringValue: string;
};

/** The engine's marker for a value unknown at preview. */
export const UNKNOWN = proxy.unknownStringValue;

export interface TestResource {
  type: string;
  props: Record<string, unknown>;
  name?: string;
  providerProps?: Record<string, unknown>;
  ignoreChanges?: string[];
  config?: Record<string, unknown>;
}

export interface PolicyRun {
  violations: string[];
  advisories: string[];
  notApplicable: string[];
}

class NotApplicableError extends Error {}

export async function runPolicy(policy: ResourceValidationPolicy, r: TestResource): Promise<PolicyRun> {
  const out: PolicyRun = { violations: [], advisories: [], notApplicable: [] };
  const name = r.name ?? "subject";
  const urn = `urn:pulumi:test::ami-guard::${r.type}::${name}`;
  const opts: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: r.ignoreChanges ?? [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  // The engine sends a deserialised copy; mutation by a policy must not leak between runs.
  const props = proxy.unknownCheckingProxy(JSON.parse(JSON.stringify(r.props)));
  const args: ResourceValidationArgs = {
    type: r.type,
    props,
    urn,
    name,
    opts,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => (r.config ?? {}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicableError(reason ?? "");
    },
  } as ResourceValidationArgs;
  if (r.providerProps) {
    args.provider = {
      type: "pulumi:providers:aws",
      name: "default",
      urn: "urn:pulumi:test::ami-guard::pulumi:providers:aws::default",
      props: proxy.unknownCheckingProxy(JSON.parse(JSON.stringify(r.providerProps))),
    };
  }
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource!];
  for (const v of validations) {
    try {
      await Promise.resolve(v(args, (message: string) => out.violations.push(message)));
    } catch (e) {
      if (e instanceof proxy.UnknownValueError) out.advisories.push(e.message);
      else if (e instanceof NotApplicableError) out.notApplicable.push(e.message);
      else throw e;
    }
  }
  return out;
}

/** An image as `aws ec2 describe-images` prints it: a sound, trusted, fresh, tagged, private image. */
export function image(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = (overrides.ImageId as string) ?? "ami-0123456789abcdef0";
  // The fixture owner's images carry their launch permissions, as `ami-guard audit --export-inventory` writes
  // them (without them, an inventory cannot vouch for the sharing of an image the settings call ours).
  const ours = (overrides.OwnerId ?? "111111111111") === "111111111111" && !("ImageOwnerAlias" in overrides);
  const isPublic = overrides.Public === true || overrides.Public === "true";
  return {
    LaunchPermissions: ours ? (isPublic ? [{ Group: "all" }] : []) : undefined,
    ImageId: id,
    Name: `golden-${id}`,
    OwnerId: "111111111111",
    Public: false,
    State: "available",
    CreationDate: "2026-11-01T10:00:00.000Z",
    RootDeviceType: "ebs",
    BlockDeviceMappings: [
      {
        DeviceName: "/dev/xvda",
        Ebs: {
          SnapshotId: `snap-${id.slice(4)}`,
          Encrypted: true,
          KmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555",
        },
      },
    ],
    Tags: [
      { Key: "Version", Value: "1.4.0" },
      { Key: "Environment", Value: "dev" },
      { Key: "Approved", Value: "true" },
    ],
    ...overrides,
  };
}

/** The clock every policy test runs at. */
export const NOW = new Date("2026-11-29T00:00:00.000Z");

/** What an inventory carries beside its images: SSM parameter values and launch template versions. */
export interface TestReferences {
  parameters?: ParameterValue[];
  templates?: RawTemplateVersion[];
  /** Snapshot owners by snapshot id (for images registered from snapshots); others fail closed. */
  snapshots?: Record<string, string>;
}

/**
 * Installs an inventory of these images (and of these parameters and launch template versions, none by
 * default) as the pack's sources and fixes the clock; returns the AMI source.
 */
export function useImages(images: Record<string, unknown>[], refs: TestReferences = {}): InventorySource {
  setReferenceSources({
    parameters: new InventoryParameterSource(refs.parameters ?? [], "test inventory"),
    templates: new InventoryTemplateSource(refs.templates ?? [], "test inventory"),
  });
  const owners = refs.snapshots ?? {};
  setSnapshotSource({
    owner: async (id) =>
      id in owners
        ? { kind: "found", ownerId: owners[id] }
        : { kind: "error", cause: "the test inventory does not list the snapshot" },
  });
  const map = new Map<string, AmiFacts>();
  for (const i of images) {
    const f = factsFromImage(i);
    if (f) map.set(f.imageId, f);
  }
  const src = new InventorySource(map, "test inventory");
  setAmiSource(src);
  setClock(() => NOW);
  return src;
}

/** The settings a trusted-owner test uses (the fixture's owner account is trusted). */
export const TRUST_FIXTURE = { trustedOwners: ["amazon", "111111111111"] };
