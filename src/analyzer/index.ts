/** The engine-protocol (`pulumirpc.Analyzer`) client: start a policy pack as the engine does and drive it. */
export * from "./types";
export { AnalyzerError, PolicyPackProcess, checkPackDir, startPolicyPack, type StartOptions } from "./client";
export { loadAnalyzerStubs, pulumiPackageJson, runPolicyPackScript } from "./proto";
