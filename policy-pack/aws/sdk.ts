/**
 * The AWS SDK client modules the pack uses, each loaded at its first use (start-up, and an inventory-backed
 * run, never load them). Every caller goes through here, by `require`, never `await import()`: compiled to
 * CommonJS, `import()` wraps the module in a fresh namespace object on every call (esModuleInterop's
 * `__importStar` copies each of the client's thousands of exports), which cost several milliseconds of CPU,
 * and garbage, per AWS call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily, on purpose */

export type Ec2Sdk = typeof import("@aws-sdk/client-ec2");
export type StsSdk = typeof import("@aws-sdk/client-sts");
export type SsmSdk = typeof import("@aws-sdk/client-ssm");

/** @aws-sdk/client-ec2. */
export function ec2Sdk(): Ec2Sdk {
  return require("@aws-sdk/client-ec2") as Ec2Sdk;
}

/** @aws-sdk/client-sts. */
export function stsSdk(): StsSdk {
  return require("@aws-sdk/client-sts") as StsSdk;
}

/** @aws-sdk/client-ssm. */
export function ssmSdk(): SsmSdk {
  return require("@aws-sdk/client-ssm") as SsmSdk;
}
