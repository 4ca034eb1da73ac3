/**
 * Warms the request path off the critical path. Every `Analyze` runs, in the pack, protobuf's reading of the
 * request (the AnalyzeRequest message, its inputs' Struct, its options and provider), the runtime's
 * deserialiser, and protobuf's writing of the answer. Until V8 has optimised those functions they cost several
 * times what they cost later, and V8 optimises them on its background threads while the first few hundred
 * resources are judged. Reading and writing a canned request a few hundred times while the engine runs the
 * program (after `ConfigureStack`, before the first `Analyze`) has them optimised by the time real requests come.
 *
 * Nothing is kept and no state of the pack is touched: the canned request is made here, read by the same
 * message classes the runtime uses (resolved from @pulumi/policy, as the runtime resolves them), and thrown
 * away; no policy runs and nothing is looked up. Any failure is swallowed: an optimisation only.
 */
import { createRequire } from "node:module";

interface Message {
  serializeBinary(): Uint8Array;
}

interface Proto {
  AnalyzeRequest: {
    new (): Message & Record<string, (...a: unknown[]) => unknown>;
    deserializeBinary(b: Uint8Array): Record<string, (...a: unknown[]) => unknown>;
  };
  AnalyzerResourceOptions: new () => Message & Record<string, (...a: unknown[]) => unknown>;
  AnalyzerProviderResource: new () => Message & Record<string, (...a: unknown[]) => unknown>;
  AnalyzeResponse: new () => Message & Record<string, (...a: unknown[]) => unknown>;
  AnalyzeDiagnostic: new () => Message & Record<string, (...a: unknown[]) => unknown>;
}

interface StructClass {
  fromJavaScript(v: Record<string, unknown>): unknown;
}

/** Inputs shaped like a launcher's as the engine sends them: nested objects, lists, booleans, numbers. */
const CANNED_INPUTS = {
  ami: "ami-00000000000000000",
  instanceType: "t3.micro",
  subnetId: "subnet-00000000000000000",
  vpcSecurityGroupIds: ["sg-00000000000000000"],
  associatePublicIpAddress: false,
  monitoring: true,
  metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" },
  rootBlockDevice: { encrypted: true, volumeSize: 20, volumeType: "gp3", deleteOnTermination: true },
  tags: { Name: "ami-guard-warm-up", Environment: "warm-up" },
};

/** Most rounds the warm-up makes: enough for V8 to optimise the functions a request runs. */
export const REQUEST_WARM_ROUNDS = 400;

/** Rounds between two yields to the event loop (so a real request waits at most one batch). */
const BATCH = 20;

/**
 * Reads and writes a canned request up to `rounds` times, in batches that yield to the event loop, and stops
 * before a batch once `stop` says so (the pack has real work to do). Never rejects; resolves to the rounds made.
 */
export async function warmRequestPath(
  options: { rounds?: number; stop?: () => boolean } = {},
): Promise<number> {
  const rounds = options.rounds ?? REQUEST_WARM_ROUNDS;
  const stop = options.stop ?? (() => false);
  let made = 0;
  try {
    const fromPolicy = createRequire(require.resolve("@pulumi/policy"));
    const pb = fromPolicy("@pulumi/pulumi/proto/analyzer_pb") as Proto;
    const { Struct } = fromPolicy("google-protobuf/google/protobuf/struct_pb") as { Struct: StructClass };
    const { deserializeProperties } = fromPolicy("@pulumi/policy/deserialize") as {
      deserializeProperties(s: unknown, proxySecrets: boolean): unknown;
    };
    const req = new pb.AnalyzeRequest();
    req.setType("aws:ec2/instance:Instance");
    req.setName("ami-guard-warm-up");
    req.setUrn("urn:pulumi:warm-up::ami-guard::aws:ec2/instance:Instance::ami-guard-warm-up");
    req.setProperties(Struct.fromJavaScript(CANNED_INPUTS));
    const opts = new pb.AnalyzerResourceOptions();
    opts.setIgnorechangesList(["tags"]);
    req.setOptions(opts);
    const provider = new pb.AnalyzerProviderResource();
    provider.setType("pulumi:providers:aws");
    provider.setName("default");
    provider.setUrn("urn:pulumi:warm-up::ami-guard::pulumi:providers:aws::default");
    provider.setProperties(Struct.fromJavaScript({ region: "us-east-1", version: "0.0.0" }));
    req.setProvider(provider);
    const bytes = req.serializeBinary();
    while (made < rounds && !stop()) {
      for (let i = 0; i < BATCH && made < rounds; i++, made++) {
        const r = pb.AnalyzeRequest.deserializeBinary(bytes);
        r.getType();
        r.getName();
        r.getUrn();
        deserializeProperties(r.getProperties(), false);
        const o = r.getOptions() as Record<string, () => unknown>;
        o.getProtect();
        o.getIgnorechangesList();
        o.getAliasesList();
        o.getCustomtimeouts();
        o.getAdditionalsecretoutputsList();
        o.getDeletebeforereplacedefined();
        o.getParent();
        const p = r.getProvider() as Record<string, () => unknown>;
        p.getType();
        p.getName();
        p.getUrn();
        deserializeProperties(p.getProperties(), false);
        const resp = new pb.AnalyzeResponse();
        const d = new pb.AnalyzeDiagnostic();
        d.setPolicyname("ami-guard-warm-up");
        d.setMessage("warm-up");
        resp.setDiagnosticsList([d]);
        resp.serializeBinary();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch {
    // An optimisation only: the first requests pay for what was not warmed.
  }
  return made;
}
