/**
 * Test support for the audit: environment for the SDK, the loopback account fixture, capturing the CLI's
 * output, default options, the ASFF required-field check (the CLI's `--format asff` and the auditor's imports).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_CLIENT, type AuditOptions } from "../../src/audit/audit";
import { parseConfig } from "../../src/audit/config";
import { main } from "../../src/cli/ami-guard";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { captureMain, type CliRun } from "../helpers/cli";
import {
  startEc2Server,
  type Ec2Handler,
  type Ec2Server,
  type Ec2ServerOptions,
} from "../../testing/ec2-server";
import { BASE_KEY, ROUTES, worldHandlers, type World } from "../../testing/world";

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

/** The loopback account of one test: see {@link useAuditLoopback}. */
export interface AuditLoopback {
  /** The endpoint the last {@link start} started (throws before). */
  readonly server: Ec2Server;
  /** A temporary directory for this test (made on first use, removed after the test). */
  readonly tmp: string;
  /**
   * Serves `world` (its handlers changed by `over`) on a loopback endpoint and points the SDK at it
   * (AWS_ENDPOINT_URL, dummy credentials); a second call in the same test replaces the first endpoint.
   */
  start(
    world: World,
    over?: (h: Record<string, Ec2Handler>) => Record<string, Ec2Handler>,
    opts?: Pick<Ec2ServerOptions, "rateLimit" | "latencyMs">,
  ): Promise<Ec2Server>;
  /** Closes the endpoint and restores the SDK's environment (done after each test anyway). */
  stop(): Promise<void>;
}

/**
 * The audit specs' per-test fixture: call it in a `describe` body; after each test the endpoint is closed, the
 * SDK's environment restored and the temporary directory removed.
 */
export function useAuditLoopback(tmpPrefix = "ami-guard-audit-"): AuditLoopback {
  let server: Ec2Server | undefined;
  let restore: (() => void) | undefined;
  let tmp: string | undefined;
  const fixture: AuditLoopback = {
    get server() {
      if (!server) throw new Error("the loopback endpoint is not started");
      return server;
    },
    get tmp() {
      return (tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix)));
    },
    async start(world, over = (h) => h, opts = {}) {
      await fixture.stop();
      server = await startEc2Server({ handlers: over(worldHandlers(world)), routes: ROUTES, ...opts });
      restore = sdkEnv({ AWS_ENDPOINT_URL: server.url });
      return server;
    },
    async stop() {
      restore?.();
      restore = undefined;
      await server?.close();
      server = undefined;
    },
  };
  afterEach(async () => {
    await fixture.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });
  return fixture;
}

/** Runs the CLI in-process, capturing stdout and stderr (see tests/helpers/cli.ts). */
export function runCli(args: string[]): Promise<CliRun> {
  return captureMain(main, args);
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

/** The string fields the AWS Security Finding Format requires of every finding (with Resources). */
const ASFF_REQUIRED_STRINGS = [
  "SchemaVersion",
  "Id",
  "ProductArn",
  "GeneratorId",
  "AwsAccountId",
  "CreatedAt",
  "UpdatedAt",
  "Title",
  "Description",
] as const satisfies readonly (keyof AwsSecurityFinding)[];

/**
 * Every field ASFF requires is there (BatchImportFindings refuses a finding without one): the string ones
 * non-empty strings (the SDK's type, checked at run time too), Resources a non-empty list.
 */
export function assertAsffRequired(f: AwsSecurityFinding): void {
  for (const k of ASFF_REQUIRED_STRINGS) {
    assert.equal(typeof f[k], "string", `${k} of ${f.Id}`);
    assert.notEqual(f[k], "", `${k} of ${f.Id}`);
  }
  assert.ok(Array.isArray(f.Resources) && f.Resources.length >= 1, `Resources of ${f.Id}`);
}
