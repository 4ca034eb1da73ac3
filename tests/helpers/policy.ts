/**
 * Runs a resource policy through @pulumi/policy's own Analyze handler (server.js makeAnalyzeRpcFun, the
 * function the pack's gRPC server calls), in process: the resource goes in as the engine's AnalyzeRequest
 * (a protobuf Struct, deserialised by the runtime, unknowns as the engine's marker), the policy's config goes
 * in through the runtime's own Configure handler, and what comes back is the runtime's AnalyzeResponse. So the
 * unknown-checking proxy, `getConfig`, `notApplicable`, the advisory for an unknown value, the violation's
 * wording and the failure of a policy that throws (the engine would fail the preview) are the runtime's, and
 * the tests cannot drift from it.
 */
import * as path from "node:path";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { loadAnalyzerStubs } from "../../src/analyzer/proto";
import { ENFORCEMENT_LEVELS } from "../../src/analyzer/types";
import { InventorySource } from "../../policy-pack/aws/lookup";
import { setAmiSource, setClock } from "../../policy-pack/runtime/policy";
import { factsFromImage, type AmiFacts } from "../../policy-pack/rules/facts";
import { setReferenceSources } from "../../policy-pack/aws/references";
import { setSnapshotSource } from "../../policy-pack/aws/snapshots";
import { InventoryParameterSource, type ParameterValue } from "../../policy-pack/aws/ssm";
import { InventoryTemplateSource, type RawTemplateVersion } from "../../policy-pack/aws/launch-templates";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as { unknownStringValue: string };

/** The engine's marker for a value unknown at preview. */
export const UNKNOWN = proxy.unknownStringValue;

type Handler<Req, Res> = (call: { request: Req }, cb: (err: unknown, res?: Res) => void) => void;
interface PolicyServer {
  makeAnalyzeRpcFun(
    pack: string,
    version: string,
    level: string,
    policies: ResourceValidationPolicy[],
  ): Handler<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>;
  serve(pack: string, version: string, level: string, args: { policies: unknown[] }, config?: unknown): void;
}

const POLICY_DIR = path.dirname(require.resolve("@pulumi/policy/package.json"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("@pulumi/policy/server") as PolicyServer;
/** The generated messages of the @pulumi/pulumi copy @pulumi/policy answers with (protobuf checks instanceof). */
const stubs = loadAnalyzerStubs(POLICY_DIR);
const PACK = "ami-guard-test";
const VERSION = "0.0.0";

/**
 * The runtime's Configure handler. It is only reachable through the service `serve` registers: `serve` is called
 * once, for no policy, with gRPC's addService and bindAsync held so that nothing listens (a test process never
 * serves a pack of its own: the specs import policy-pack/policies, not the pack's entry point).
 */
const configure: Handler<analyzerPb.ConfigureAnalyzerRequest, unknown> = (() => {
  const grpcServer = stubs.grpc.Server.prototype as unknown as Record<string, unknown>;
  const held = { addService: grpcServer.addService, bindAsync: grpcServer.bindAsync };
  let service: { configure?: Handler<analyzerPb.ConfigureAnalyzerRequest, unknown> } = {};
  grpcServer.addService = (_definition: unknown, implementation: typeof service) => {
    service = implementation;
  };
  grpcServer.bindAsync = () => undefined;
  try {
    server.serve(`${PACK}-config`, VERSION, "mandatory", { policies: [] });
  } finally {
    Object.assign(grpcServer, held);
  }
  if (!service.configure) throw new Error("@pulumi/policy's server registered no Configure handler");
  return service.configure;
})();

function rpc<Req, Res>(handler: Handler<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    handler({ request }, (err, res) => (err ? reject(err) : resolve(res as Res))),
  );
}

/** A JSON round trip drops undefined members (which Struct.fromJavaScript rejects), as the engine's copy does. */
function struct(v: Record<string, unknown>) {
  return stubs.struct.Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));
}

export interface TestResource {
  type: string;
  props: Record<string, unknown>;
  name?: string;
  providerProps?: Record<string, unknown>;
  ignoreChanges?: string[];
  config?: Record<string, unknown>;
}

export interface PolicyRun {
  /** The violations' messages (the runtime's diagnostic, less the policy's description it starts with). */
  violations: string[];
  /** The advisories for values unknown at preview (the runtime's diagnostic, less its "can't run" preamble). */
  advisories: string[];
  notApplicable: string[];
}

/**
 * Runs `policy` on the resource through the runtime's Configure and Analyze handlers. The runtime keeps one
 * config per process (as a pack has): the run configures this policy alone and starts Analyze in the same
 * tick, so that concurrent runs with their own configs do not mix (the pack's policies read their config
 * before their first await).
 */
export async function runPolicy(policy: ResourceValidationPolicy, r: TestResource): Promise<PolicyRun> {
  const name = r.name ?? "subject";
  const req = new stubs.pb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(name);
  req.setUrn(`urn:pulumi:test::ami-guard::${r.type}::${name}`);
  req.setProperties(struct(r.props));
  const opts = new stubs.pb.AnalyzerResourceOptions();
  opts.setProtect(false);
  opts.setIgnorechangesList(r.ignoreChanges ?? []);
  req.setOptions(opts);
  if (r.providerProps) {
    const provider = new stubs.pb.AnalyzerProviderResource();
    provider.setType("pulumi:providers:aws");
    provider.setName("default");
    provider.setUrn("urn:pulumi:test::ami-guard::pulumi:providers:aws::default");
    provider.setProperties(struct(r.providerProps));
    req.setProvider(provider);
  }
  const conf = new stubs.pb.ConfigureAnalyzerRequest();
  const pc = new stubs.pb.PolicyConfig();
  const level = policy.enforcementLevel ?? "mandatory";
  pc.setEnforcementlevel(ENFORCEMENT_LEVELS.indexOf(level) as analyzerPb.EnforcementLevel);
  pc.setProperties(struct(r.config ?? {}));
  conf.getPolicyconfigMap().set(policy.name, pc);
  const analyze = server.makeAnalyzeRpcFun(PACK, VERSION, "mandatory", [policy]);

  let configured: { err: unknown } | undefined;
  configure({ request: conf }, (err) => (configured = { err }));
  if (!configured) throw new Error("@pulumi/policy's Configure handler did not answer at once");
  if (configured.err) throw configured.err;
  const res = await rpc(analyze, req);

  const out: PolicyRun = { violations: [], advisories: [], notApplicable: [] };
  const cannotRun = `can't run policy '${policy.name}' from policy pack '${PACK}@v${VERSION}' during preview: `;
  for (const d of res.getDiagnosticsList()) {
    const message = d.getMessage();
    if (message.startsWith(cannotRun)) out.advisories.push(message.slice(cannotRun.length));
    else if (message.startsWith(`${policy.description}\n`))
      out.violations.push(message.slice(policy.description.length + 1));
    else out.violations.push(message === policy.description ? "" : message);
  }
  for (const n of res.getNotApplicableList()) out.notApplicable.push(n.getReason());
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
