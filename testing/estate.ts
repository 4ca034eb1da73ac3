/**
 * An organisation's estate over the loopback endpoint (ec2-server.ts): an image-build account owns golden
 * images and shares them with a workload account. EC2's answers differ by caller, as in AWS: the caller is
 * the access key id in the request's SigV4 Authorization header. The workload account's key sees the shared
 * images without tags (tags are per account) and is refused their launch permissions (owner only); the build
 * account's read role, reached through a loopback STS AssumeRole, sees both. Every call is recorded by caller.
 */
import {
  ec2Error,
  ec2Response,
  imageToWire,
  launchPermissionsToWire,
  listParam,
  queryError,
  queryResponse,
  type Ec2Handler,
  type Ec2Request,
} from "./ec2-server";

type Pascal = Record<string, unknown>;

export const BUILD_ACCOUNT = "444444444444";
export const WORKLOAD_ACCOUNT = "555555555555";
/** The workload account's own credentials (AWS_ACCESS_KEY_ID). */
export const WORKLOAD_KEY = "AKIDWORKLOAD5555";
/** The key the loopback STS hands out for the build account's read role. */
export const OWNER_KEY = "ASIAOWNERREAD4444";
export const OWNER_READ_ROLE = `arn:aws:iam::${BUILD_ACCOUNT}:role/ami-guard/ami-owner-read`;

export interface Estate {
  /** The build account's images, as the owner sees them (with Tags). */
  images: Pascal[];
  /** Launch permissions per image id, as the owner sees them. */
  launchPermissions: Record<string, Pascal[]>;
  /** Roles that may be assumed (default: the read role). Others answer AccessDenied. */
  assumable?: string[];
  /** Instances of the workload account (for the audit). */
  instances?: { InstanceId: string; ImageId: string }[];
}

/** What each caller asked for. */
export interface EstateLog {
  assumeRole: Record<string, string>[];
  /** Caller key → image ids asked for by DescribeImages, one entry per id per call. */
  describeImages: Record<string, string[]>;
  /** Caller key → image ids asked for by DescribeImageAttribute. */
  describeImageAttribute: Record<string, string[]>;
}

/** The access key id of a request (SigV4 credential scope). */
export function callerKey(r: Ec2Request): string {
  const m = /Credential=([^/]+)\//.exec(String(r.headers.authorization ?? ""));
  return m ? m[1] : "";
}

function record(log: Record<string, string[]>, key: string, ids: string[]): void {
  (log[key] ??= []).push(...ids);
}

export function newEstateLog(): EstateLog {
  return { assumeRole: [], describeImages: {}, describeImageAttribute: {} };
}

/** Handlers for STS AssumeRole, EC2 DescribeImages (by id) and DescribeImageAttribute over `e`. */
export function estateHandlers(e: Estate, log: EstateLog): Record<string, Ec2Handler> {
  return {
    GetCallerIdentity: (r) => {
      const key = callerKey(r);
      const account = key === WORKLOAD_KEY ? WORKLOAD_ACCOUNT : key === OWNER_KEY ? BUILD_ACCOUNT : undefined;
      if (!account)
        return queryError("InvalidClientTokenId", "The security token included in the request is invalid.");
      return queryResponse("GetCallerIdentity", {
        Account: account,
        Arn: `arn:aws:sts::${account}:assumed-role/caller/session`,
        UserId: "AROACALLER:session",
      });
    },
    AssumeRole: (r) => {
      log.assumeRole.push({ ...r.params });
      if (callerKey(r) !== WORKLOAD_KEY)
        return queryError("InvalidClientTokenId", "The security token included in the request is invalid.");
      if (!(e.assumable ?? [OWNER_READ_ROLE]).includes(r.params.RoleArn ?? ""))
        return queryError(
          "AccessDenied",
          `User: arn:aws:sts::${WORKLOAD_ACCOUNT}:assumed-role/deployer/ci is not authorized to perform: sts:AssumeRole on resource: ${r.params.RoleArn}`,
        );
      return queryResponse("AssumeRole", {
        Credentials: {
          AccessKeyId: OWNER_KEY,
          SecretAccessKey: "owner-secret",
          SessionToken: "owner-token",
          Expiration: new Date(Date.now() + Number(r.params.DurationSeconds ?? 3600) * 1000).toISOString(),
        },
        AssumedRoleUser: {
          Arn: `arn:aws:sts::${BUILD_ACCOUNT}:assumed-role/ami-owner-read/${r.params.RoleSessionName}`,
          AssumedRoleId: `AROAOWNERREAD:${r.params.RoleSessionName}`,
        },
      });
    },
    DescribeImages: (r) => {
      const key = callerKey(r);
      const ids = listParam(r.params, "ImageId");
      record(log.describeImages, key, ids);
      if (key !== WORKLOAD_KEY && key !== OWNER_KEY)
        return ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials");
      const found = e.images.filter((i) => ids.includes(String(i.ImageId)));
      const missing = ids.filter((id) => !found.some((i) => i.ImageId === id));
      if (missing.length > 0)
        return ec2Error("InvalidAMIID.NotFound", `The image id '[${missing.join(", ")}]' does not exist`);
      // Tags are per account: the workload account sees none of the owner's.
      const seen = key === OWNER_KEY ? found : found.map((i) => ({ ...i, Tags: undefined }));
      return ec2Response("DescribeImages", { imagesSet: seen.map(imageToWire) });
    },
    DescribeImageAttribute: (r) => {
      const key = callerKey(r);
      const id = r.params.ImageId ?? "";
      record(log.describeImageAttribute, key, [id]);
      if (key !== OWNER_KEY) return ec2Error("AuthFailure", `Not authorized for image:${id}`);
      return ec2Response("DescribeImageAttribute", {
        imageId: id,
        launchPermission: launchPermissionsToWire(e.launchPermissions[id] ?? []),
      });
    },
  };
}
