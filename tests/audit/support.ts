/** Test support for the audit: environment for the SDK, capturing the CLI's output, default options. */
import { DEFAULT_CLIENT, type AuditOptions } from "../../src/audit/audit";
import { parseConfig } from "../../src/audit/config";
import { main } from "../../src/cli/ami-guard";
import { BASE_KEY } from "../../testing/world";

const SDK_ENV = [
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_EC2",
  "AWS_ENDPOINT_URL_STS",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_PROFILE",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_MAX_ATTEMPTS",
  "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
];

/** Sets the SDK's environment for a test (dummy credentials, no shared files, no IMDS); returns a restorer. */
export function sdkEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(SDK_ENV.map((k) => [k, process.env[k]]));
  for (const k of SDK_ENV) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: BASE_KEY,
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/ami-guard-test-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/ami-guard-test-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const k of SDK_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  };
}

/** Runs the CLI in-process, capturing stdout and stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tty = process.stdout.isTTY;
  process.stdout.isTTY = false; // the table's width is then fixed (100), as in the goldens
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.stdout.isTTY = tty;
  }
}

/** Audit options for tests: fast retries and timeouts, the pack's defaults. */
export function testOptions(over: Partial<AuditOptions> = {}): AuditOptions {
  return {
    regions: ["us-east-1"],
    allRegions: false,
    roleArns: [],
    config: parseConfig({}, "test"),
    failOn: "low",
    now: new Date("2025-06-01T00:00:00Z"),
    concurrency: 8,
    regionConcurrency: 4,
    client: { ...DEFAULT_CLIENT, maxAttempts: 3, connectionTimeoutMs: 1000, requestTimeoutMs: 2000 },
    ...over,
  };
}
