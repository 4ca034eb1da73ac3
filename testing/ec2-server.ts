/**
 * A loopback AWS endpoint for tests, speaking EC2's query protocol (form-encoded POST `Action=…`, XML answers
 * and `<Response><Errors>…` errors), and enough of the other protocols to stand in for STS (query, XML),
 * CloudTrail (JSON 1.1, X-Amz-Target) and Inspector2 (REST-JSON, by route). Point the SDK at it with
 * AWS_ENDPOINT_URL (all services) or AWS_ENDPOINT_URL_EC2.
 *
 *   const ec2 = await startEc2Server({ handlers: { DescribeImages: (r) => ec2Response("DescribeImages", {...}) } });
 *   process.env.AWS_ENDPOINT_URL_EC2 = ec2.url; … ; ec2.calls.DescribeImages; await ec2.close();
 *
 * Options: a token-bucket rate limit (empty bucket → 503 RequestLimitExceeded, as EC2 throttles), a fixed
 * latency, and a call counter per action. Everything stops with close(), including requests left hanging.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Ec2Request {
  /** The operation: the query `Action`, the X-Amz-Target's operation, or the route's name. */
  action: string;
  /** Query protocol: the flat form parameters (`ImageId.1`, `Filter.1.Name`, …). */
  params: Record<string, string>;
  /** JSON protocols: the parsed body. */
  json?: unknown;
  headers: http.IncomingHttpHeaders;
  method: string;
  path: string;
  /** 1 for the first call of this action, 2 for the second, … */
  attempt: number;
}

export interface Ec2Reply {
  status?: number;
  body: string;
  contentType?: string;
}

/** A handler answers with XML (200), a full reply, or HANG to never answer (until close). */
export type Ec2Handler = (
  req: Ec2Request,
) => string | Ec2Reply | typeof HANG | Promise<string | Ec2Reply | typeof HANG>;

export const HANG = Symbol("hang");

export interface Ec2ServerOptions {
  handlers: Record<string, Ec2Handler>;
  /** Token bucket: `burst` tokens, refilled at `perSecond`; a call finding it empty gets 503 RequestLimitExceeded. */
  rateLimit?: { perSecond: number; burst: number };
  /** Milliseconds to wait before answering every call. */
  latencyMs?: number;
  /** REST routes (`"POST /status/batch/get"`) → action names, for REST-JSON services such as Inspector2. */
  routes?: Record<string, string>;
}

export interface Ec2Server {
  url: string;
  /** Calls per action (throttled ones included), and `total`. */
  calls: Record<string, number>;
  /** How many calls the rate limit refused. */
  throttled: () => number;
  close(): Promise<void>;
}

let requestCounter = 0;
function requestId(): string {
  return `00000000-0000-4000-8000-${String(++requestCounter).padStart(12, "0")}`;
}

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!,
  );
}

/** XML for a value in EC2's wire shape: objects become elements, arrays `<item>` lists, undefined is left out. */
export function toXml(value: unknown, listItem = "item"): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value))
    return value.map((v) => `<${listItem}>${toXml(v, listItem)}</${listItem}>`).join("");
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v, listItem)}</${k}>`)
      .join("");
  }
  return escapeXml(String(value));
}

/** An EC2 answer: `<{Action}Response xmlns=…><requestId>…</requestId>{body}</{Action}Response>`; body in wire names. */
export function ec2Response(action: string, body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId()}</requestId>${toXml(body)}</${action}Response>`;
}

/** An EC2 error answer (HTTP 400 by default; 503 for throttling and unavailability). */
export function ec2Error(code: string, message: string, status = 400): Ec2Reply {
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId()}</RequestID></Response>`,
  };
}

/**
 * An AWS query-protocol answer (STS, Auto Scaling): `<{Action}Response><{Action}Result>{result}</…Result>…`;
 * PascalCase names, lists as `<member>` elements.
 */
export function queryResponse(
  action: string,
  result: Record<string, unknown>,
  xmlns = "https://sts.amazonaws.com/doc/2011-06-15/",
): string {
  return `<${action}Response xmlns="${xmlns}"><${action}Result>${toXml(result, "member")}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`;
}

/** An AWS query-protocol error (STS). */
export function queryError(code: string, message: string, status = 403): Ec2Reply {
  return {
    status,
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
  };
}

/** A JSON answer (CloudTrail, Inspector2). */
export function jsonResponse(body: unknown, status = 200): Ec2Reply {
  return { status, body: JSON.stringify(body), contentType: "application/x-amz-json-1.1" };
}

/** A JSON-protocol error: `__type` names the error, as the SDK reads it. */
export function jsonError(code: string, message: string, status = 400): Ec2Reply {
  return {
    status,
    body: JSON.stringify({ __type: code, message }),
    contentType: "application/x-amz-json-1.1",
  };
}

/** The values of a query list parameter: listParam(p, "ImageId") reads ImageId.1, ImageId.2, … */
export function listParam(params: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${name}.${i}`] !== undefined; i++) out.push(params[`${name}.${i}`]);
  return out;
}

/** The filters of a query request: { "instance-state-name": ["running", …] }. */
export function filterParams(params: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 1; params[`Filter.${i}.Name`] !== undefined; i++)
    out[params[`Filter.${i}.Name`]] = listParam(params, `Filter.${i}.Value`);
  return out;
}

type Pascal = Record<string, unknown>;

/** One image in the SDK's (describe-images JSON) shape → EC2's wire names, for a `imagesSet` item. */
export function imageToWire(i: Pascal): Record<string, unknown> {
  const tags = i.Tags as { Key: string; Value: string }[] | undefined;
  const bdm = i.BlockDeviceMappings as Pascal[] | undefined;
  return {
    imageId: i.ImageId,
    imageLocation: i.ImageLocation,
    imageState: i.State,
    imageOwnerId: i.OwnerId,
    creationDate: i.CreationDate,
    isPublic: i.Public,
    architecture: i.Architecture,
    imageType: i.ImageType,
    imageOwnerAlias: i.ImageOwnerAlias,
    name: i.Name,
    description: i.Description,
    rootDeviceType: i.RootDeviceType,
    rootDeviceName: i.RootDeviceName,
    virtualizationType: i.VirtualizationType,
    deprecationTime: i.DeprecationTime,
    blockDeviceMapping: bdm?.map((m) => ({
      deviceName: m.DeviceName,
      virtualName: m.VirtualName,
      ebs: m.Ebs
        ? {
            snapshotId: (m.Ebs as Pascal).SnapshotId,
            volumeSize: (m.Ebs as Pascal).VolumeSize,
            deleteOnTermination: (m.Ebs as Pascal).DeleteOnTermination,
            volumeType: (m.Ebs as Pascal).VolumeType,
            encrypted: (m.Ebs as Pascal).Encrypted,
            kmsKeyId: (m.Ebs as Pascal).KmsKeyId,
          }
        : undefined,
    })),
    tagSet: tags?.map((t) => ({ key: t.Key, value: t.Value })),
  };
}

/** Launch permissions (SDK shape) → wire names for a DescribeImageAttribute `launchPermission` list. */
export function launchPermissionsToWire(perms: Pascal[]): Record<string, unknown>[] {
  return perms.map((p) => ({
    group: p.Group,
    userId: p.UserId,
    organizationArn: p.OrganizationArn,
    organizationalUnitArn: p.OrganizationalUnitArn,
  }));
}

function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

/** Starts the server on 127.0.0.1, on a free port. */
export async function startEc2Server(options: Ec2ServerOptions): Promise<Ec2Server> {
  const calls: Record<string, number> = { total: 0 };
  let throttled = 0;
  let tokens = options.rateLimit?.burst ?? 0;
  let last = Date.now();
  const hanging = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const take = (): boolean => {
    if (!options.rateLimit) return true;
    const now = Date.now();
    tokens = Math.min(options.rateLimit.burst, tokens + ((now - last) / 1000) * options.rateLimit.perSecond);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  };

  const send = (res: http.ServerResponse, reply: Ec2Reply) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(reply.status ?? 200, {
      "content-type": reply.contentType ?? "text/xml;charset=UTF-8",
      "x-amzn-requestid": requestId(),
    });
    res.end(reply.body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const target = req.headers["x-amz-target"];
        let action: string;
        let params: Record<string, string> = {};
        let json: unknown;
        const route = options.routes?.[`${req.method} ${url.pathname}`];
        if (typeof target === "string") {
          action = target.slice(target.lastIndexOf(".") + 1);
          json = body ? JSON.parse(body) : {};
        } else if (route) {
          action = route;
          json = body ? JSON.parse(body) : {};
        } else {
          params = parseForm(body);
          action = params.Action ?? "";
        }
        calls.total++;
        calls[action] = (calls[action] ?? 0) + 1;
        if (options.latencyMs) {
          await new Promise<void>((r) => {
            const t = setTimeout(() => {
              timers.delete(t);
              r();
            }, options.latencyMs);
            timers.add(t);
          });
        }
        if (!take()) {
          throttled++;
          send(res, ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503));
          return;
        }
        const handler = options.handlers[action];
        if (!handler) {
          send(
            res,
            ec2Error(
              "InvalidAction",
              `The action ${action || "(none)"} is not valid for this web service.`,
              400,
            ),
          );
          return;
        }
        try {
          const out = await handler({
            action,
            params,
            json,
            headers: req.headers,
            method: req.method ?? "POST",
            path: url.pathname,
            attempt: calls[action],
          });
          if (out === HANG) {
            hanging.add(res);
            return;
          }
          send(res, typeof out === "string" ? { body: out } : out);
        } catch (e) {
          send(res, ec2Error("InternalError", `test handler failed: ${(e as Error).message}`, 500));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    throttled: () => throttled,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Every environment variable through which a spec points the AWS SDK (and the pack's look-ups) at a loopback
 * endpoint or tunes them: saved and restored by {@link useLoopbackEnvironment} whatever a suite sets.
 */
export const LOOPBACK_ENV_KEYS = [
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_EC2",
  "AWS_ENDPOINT_URL_SSM",
  "AWS_ENDPOINT_URL_STS",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_MAX_ATTEMPTS",
  "AMI_GUARD_EC2_TIMEOUT_MS",
  "AMI_GUARD_LOOKUP_BUDGET_MS",
  "AMI_GUARD_INVENTORY",
] as const;

/**
 * Registers mocha hooks that save {@link LOOPBACK_ENV_KEYS} (and `extraKeys`), set `vars` for the suite (test
 * credentials and time limits of a loopback endpoint) and restore every key afterwards, so that one spec's
 * endpoint settings, and what its tests set on the way, never leak into another's.
 */
export function useLoopbackEnvironment(
  vars: Record<string, string>,
  extraKeys: readonly string[] = [],
): void {
  const saved: Record<string, string | undefined> = {};
  const all = [...new Set([...LOOPBACK_ENV_KEYS, ...extraKeys, ...Object.keys(vars)])];
  before(() => {
    for (const k of all) saved[k] = process.env[k];
    Object.assign(process.env, vars);
  });
  after(() => {
    for (const k of all)
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });
}

/**
 * The environment of a process (a policy pack started as the engine starts it) whose AWS SDK may reach only
 * `url`, for the services named (`EC2`, `SSM`, `STS`, …): dummy static credentials, no profile, no shared config
 * or credentials file, no instance metadata, no inventory, and EC2 calls timing out after 10 s. Undefined values
 * remove a variable the test process may carry.
 */
export function loopbackSdkEnv(url: string, services: readonly string[]): Record<string, string | undefined> {
  return {
    ...Object.fromEntries(services.map((s) => [`AWS_ENDPOINT_URL_${s}`, url])),
    AWS_ENDPOINT_URL: undefined,
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/ami-guard-test-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/ami-guard-test-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AMI_GUARD_INVENTORY: undefined,
    AMI_GUARD_EC2_TIMEOUT_MS: "10000",
  };
}
