/**
 * The auditor's test account: one account with good and bad AMIs, served (with Security Hub and SNS) by the
 * loopback endpoint; EventBridge event fixtures; and a runner that sets the function's environment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ec2Error,
  ec2Response,
  startEc2Server,
  type Ec2Handler,
  type Ec2Server,
} from "../../testing/ec2-server";
import { SECURITY_HUB_ROUTES, securityHubFake, type SecurityHubFake } from "../../testing/securityhub";
import { sdkEnv } from "../audit/support";
import { ROUTES, regionOf, worldHandlers, type World } from "../../testing/world";

export const ACCOUNT = "111111111111";
export const ALLOWED = "222222222222";
export const STRANGER = "999999999999";
export const GOOD = "ami-0aaa0000000000001";
export const PUBLIC = "ami-0bad0000000000001";
export const OUTSIDE = "ami-0bad0000000000002";
export const UNENCRYPTED = "ami-0bad0000000000003";
export const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:ami-guard-dev-alarms`;
export const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ami-guard-dev-auditor`;
export const POLICY_CONFIG = JSON.stringify({
  "ec2-ami-disallow-untrusted-owner": { trustedOwners: ["amazon", ACCOUNT] },
  "ec2-ami-disallow-public-sharing": { allowedAccounts: [ALLOWED] },
  "ec2-ami-disallow-stale-image": { maxAgeDays: 30 },
});

const DAY = 86_400_000;

export function image(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ImageId: id,
    Name: `web-${id}`,
    OwnerId: ACCOUNT,
    State: "available",
    Public: false,
    CreationDate: new Date(Date.now() - 3 * DAY).toISOString(),
    RootDeviceType: "ebs",
    Architecture: "arm64",
    BlockDeviceMappings: [
      {
        DeviceName: "/dev/xvda",
        Ebs: {
          SnapshotId: `snap-${id.slice(4)}`,
          Encrypted: true,
          KmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          VolumeSize: 8,
        },
      },
    ],
    Tags: [
      { Key: "Version", Value: "1.0.0" },
      { Key: "Environment", Value: "dev" },
      { Key: "Approved", Value: "true" },
    ],
    ...over,
  };
}

/** Guardrails all on, so the findings are the images'. */
const GOOD_GUARDRAILS = {
  ebsEncryptionByDefault: true,
  ebsDefaultKmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  imageBlockPublicAccess: "block-new-sharing",
  snapshotBlockPublicAccess: "block-all-sharing",
  allowedImages: { State: "enabled", criteria: 1 },
  inspectorEc2: "ENABLED",
};

export function world(extraRegions: string[] = []): World {
  const region = (owned: Record<string, unknown>[]) => ({ owned, ...GOOD_GUARDRAILS });
  return {
    base: ACCOUNT,
    accounts: {
      [ACCOUNT]: {
        regions: {
          "us-east-1": {
            ...region([
              image(GOOD),
              image(PUBLIC, { Public: true }),
              image(OUTSIDE),
              image(UNENCRYPTED, {
                BlockDeviceMappings: [
                  {
                    DeviceName: "/dev/xvda",
                    Ebs: { SnapshotId: "snap-0plain", Encrypted: false, VolumeSize: 8 },
                  },
                ],
              }),
            ]),
            launchPermissions: {
              [GOOD]: [{ UserId: ALLOWED }],
              [PUBLIC]: [{ Group: "all" }, { UserId: ALLOWED }],
              [OUTSIDE]: [{ UserId: ALLOWED }, { UserId: STRANGER }],
            },
          },
          ...Object.fromEntries(extraRegions.map((r) => [r, region([])])),
        },
        trails: [
          {
            Name: "ami-guard-dev",
            HomeRegion: "us-east-1",
            IsMultiRegionTrail: true,
            LogFileValidationEnabled: true,
            IsLogging: true,
          },
        ],
      },
    },
  };
}

export function event(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/auditor", `${name}.json`), "utf8"));
}

/** ModifyImageAttribute over the world: records each call's removals and applies them. */
export function modifyHandler(
  w: World,
  calls: { imageId: string; remove: Record<string, string>[]; add: number }[],
): Ec2Handler {
  return (r) => {
    const lists = (kind: string) => {
      const out: Record<string, string>[] = [];
      for (const [k, v] of Object.entries(r.params)) {
        const m = new RegExp(`^LaunchPermission\\.${kind}\\.([0-9]+)\\.(\\w+)$`).exec(k);
        if (m) (out[Number(m[1]) - 1] ??= {})[m[2]] = v;
      }
      return out.filter(Boolean);
    };
    const remove = lists("Remove");
    const add = lists("Add").length;
    calls.push({ imageId: r.params.ImageId, remove, add });
    const here = w.accounts[ACCOUNT].regions[regionOf(r)];
    const img = here?.owned.find((i) => i.ImageId === r.params.ImageId);
    if (!img) return ec2Error("InvalidAMIID.NotFound", `The image id '[${r.params.ImageId}]' does not exist`);
    const perms = (here!.launchPermissions ??= {});
    perms[r.params.ImageId] = (perms[r.params.ImageId] ?? []).filter(
      (p) => !remove.some((x) => (x.Group && x.Group === p.Group) || (x.UserId && x.UserId === p.UserId)),
    );
    if (remove.some((x) => x.Group === "all")) img.Public = false;
    return ec2Response("ModifyImageAttribute", { return: true });
  };
}

export interface Loopback {
  server: Ec2Server;
  hub: SecurityHubFake;
  modifications: { imageId: string; remove: Record<string, string>[]; add: number }[];
  restore(): Promise<void>;
}

const AUDITOR_ENV = [
  "AMI_GUARD_POLICY_CONFIG",
  "AMI_GUARD_REGIONS",
  "AMI_GUARD_REMEDIATE",
  "AMI_GUARD_ALARM_TOPIC_ARN",
];

/** Starts the loopback account (EC2, STS, CloudTrail, Inspector, Security Hub, SNS) and sets the environment. */
export async function loopback(
  w: World,
  env: Record<string, string | undefined> = {},
  options: {
    wrap?: (h: Record<string, Ec2Handler>) => Record<string, Ec2Handler>;
    rateLimit?: { perSecond: number; burst: number };
  } = {},
): Promise<Loopback> {
  const hub = securityHubFake();
  const modifications: Loopback["modifications"] = [];
  const handlers = {
    ...worldHandlers(w),
    ...hub.handlers,
    ModifyImageAttribute: modifyHandler(w, modifications),
  };
  const server = await startEc2Server({
    handlers: options.wrap ? options.wrap(handlers) : handlers,
    routes: { ...ROUTES, ...SECURITY_HUB_ROUTES },
    rateLimit: options.rateLimit,
  });
  const saved = Object.fromEntries(AUDITOR_ENV.map((k) => [k, process.env[k]]));
  const restoreSdk = sdkEnv({ AWS_ENDPOINT_URL: server.url, AWS_MAX_ATTEMPTS: "2" });
  const vars: Record<string, string | undefined> = {
    AMI_GUARD_POLICY_CONFIG: POLICY_CONFIG,
    AMI_GUARD_REGIONS: "us-east-1",
    AMI_GUARD_REMEDIATE: "false",
    AMI_GUARD_ALARM_TOPIC_ARN: TOPIC,
    ...env,
  };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return {
    server,
    hub,
    modifications,
    restore: async () => {
      restoreSdk();
      for (const k of AUDITOR_ENV) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await server.close();
    },
  };
}

/**
 * The auditor specs' per-test fixture: call it in a `describe` body; the function it returns starts the
 * loopback account as {@link loopback} does, and after each test that account is closed and the environment
 * restored.
 */
export function useLoopback(): typeof loopback {
  let current: Loopback | undefined;
  afterEach(async () => {
    await current?.restore();
    current = undefined;
  });
  return async (...args) => {
    await current?.restore();
    current = await loopback(...args);
    return current;
  };
}

export const CONTEXT = {
  invokedFunctionArn: FUNCTION_ARN,
  awsRequestId: "c0ffee00-0000-4000-8000-000000000001",
};

/** Runs `fn` with stdout captured (the handler logs JSON lines); returns its value and the lines. */
export async function quietly<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; lines: Record<string, unknown>[] }> {
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const value = await fn();
    return {
      value,
      lines: out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    process.stdout.write = write;
  }
}
