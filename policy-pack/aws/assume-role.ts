/**
 * Credentials of a role in another account, for reading what only that account can see (an image's tags and
 * launch permissions as its owner sees them). `sts:AssumeRole` with the standard SDK credential chain as the
 * source, a session name that names the stack, short sessions, and one AssumeRole per role until the session
 * nears its end, however many clients and regions share it. The SDK is loaded only when a role is assumed.
 */
import { sdkClientConfig, type AwsCredentialIdentity } from "./lookup";

export type CredentialsProvider = () => Promise<AwsCredentialIdentity>;

/** Owner-view sessions last 15 minutes, the shortest STS allows: a preview or an audit needs no more. */
export const OWNER_SESSION_SECONDS = 900;

/** Refresh this long before a session ends (capped at half the session, so a short one is still reused). */
const REFRESH_BEFORE_MS = 300_000;

/**
 * The RoleSessionName for this process: `ami-guard-<project>-<stack>` from the engine's PULUMI_PROJECT and
 * PULUMI_STACK (or `ami-guard-<what>` outside Pulumi), reduced to STS's rules: 2–64 characters of
 * `[A-Za-z0-9_+=,.@-]`. CloudTrail in the owner account records it, so the owner sees which stack read what.
 */
export function sessionName(env: NodeJS.ProcessEnv = process.env, what = "preview"): string {
  const project = env.PULUMI_PROJECT?.trim();
  const stack = env.PULUMI_STACK?.trim();
  const parts = ["ami-guard"];
  if (project && project !== "ami-guard") parts.push(project);
  parts.push(stack || what);
  const name = parts
    .join("-")
    .replace(/[^\w+=,.@-]+/g, "-")
    .slice(0, 64);
  return name.length >= 2 ? name : "ami-guard";
}

/**
 * Shares one credentials promise among all callers until shortly before the session expires; a failure is
 * not kept (the next caller tries again). `onAssume` is told each time the underlying provider is called.
 */
export function memoizeCredentials<C extends { expiration?: Date }>(
  provider: () => Promise<C>,
  onAssume?: () => void,
): () => Promise<C> {
  let current: Promise<C> | undefined;
  let refreshAt = 0;
  return () => {
    if (!current || Date.now() >= refreshAt) {
      refreshAt = Number.POSITIVE_INFINITY;
      onAssume?.();
      const started = Date.now();
      const p = provider().then(
        (c) => {
          if (c.expiration) {
            const end = c.expiration.getTime();
            refreshAt = end - Math.min(REFRESH_BEFORE_MS, (end - started) / 2);
          }
          return c;
        },
        (e: unknown) => {
          if (current === p) current = undefined;
          throw e;
        },
      );
      current = p;
    }
    return current;
  };
}

export interface AssumeRoleOptions {
  roleArn: string;
  /** The region of the STS endpoint (regional endpoints; AWS_ENDPOINT_URL_STS overrides it). */
  region: string;
  sessionName: string;
  durationSeconds: number;
}

/**
 * A provider of the role's temporary credentials (@aws-sdk/credential-providers' fromTemporaryCredentials,
 * source credentials from the standard chain, STS endpoint from AWS_ENDPOINT_URL_STS), not memoised: wrap it with {@link memoizeCredentials}.
 */
export function temporaryCredentials(o: AssumeRoleOptions): CredentialsProvider {
  // Loaded lazily: a pack judging from an inventory, or without ownerReadRoles, never pays for it.
  const { fromTemporaryCredentials } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
  return fromTemporaryCredentials({
    params: { RoleArn: o.roleArn, RoleSessionName: o.sessionName, DurationSeconds: o.durationSeconds },
    // The pack's client settings: adaptive retries (AWS_MAX_ATTEMPTS), timeouts (AMI_GUARD_EC2_TIMEOUT_MS).
    clientConfig: sdkClientConfig(o.region),
  });
}
