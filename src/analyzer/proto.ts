/**
 * The `pulumirpc.Analyzer` stubs, loaded exactly as the engine's own Node.js side sees them: through a
 * `createRequire` rooted at @pulumi/pulumi's package.json, so that `@grpc/grpc-js`, `google-protobuf` and the
 * generated messages all come from the one copy the stubs were generated against (the protobuf `instanceof`
 * checks fail otherwise).
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as analyzerGrpcPb from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";

export interface AnalyzerStubs {
  grpc: typeof grpcTypes;
  pb: typeof analyzerPb;
  services: typeof analyzerGrpcPb;
  plugin: typeof pluginPb;
  struct: typeof structPb;
  empty: typeof emptyPb;
  /** The package.json the stubs were loaded from. */
  root: string;
}

const cache = new Map<string, AnalyzerStubs>();

/**
 * The package.json of the @pulumi/pulumi that `fromDir` resolves (the pack's directory resolves the copy the
 * engine would run the pack with).
 */
export function pulumiPackageJson(fromDir: string = __dirname): string {
  return require.resolve("@pulumi/pulumi/package.json", { paths: [fromDir] });
}

/** Loads (once per @pulumi/pulumi copy) the analyzer stubs, gRPC and protobuf. */
export function loadAnalyzerStubs(fromDir: string = __dirname): AnalyzerStubs {
  const root = pulumiPackageJson(fromDir);
  let stubs = cache.get(root);
  if (!stubs) {
    const req = createRequire(root);
    stubs = {
      grpc: req("@grpc/grpc-js") as typeof grpcTypes,
      pb: req("./proto/analyzer_pb") as typeof analyzerPb,
      services: req("./proto/analyzer_grpc_pb") as typeof analyzerGrpcPb,
      plugin: req("./proto/plugin_pb") as typeof pluginPb,
      struct: req("google-protobuf/google/protobuf/struct_pb") as typeof structPb,
      empty: req("google-protobuf/google/protobuf/empty_pb") as typeof emptyPb,
      root,
    };
    cache.set(root, stubs);
  }
  return stubs;
}

/** The `run-policy-pack` entry point that `pulumi-analyzer-policy` runs, resolved from the pack's directory. */
export function runPolicyPackScript(packDir: string): string {
  return path.join(path.dirname(pulumiPackageJson(packDir)), "cmd", "run-policy-pack");
}
