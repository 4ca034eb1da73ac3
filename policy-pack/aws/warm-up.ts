/**
 * Warms the AWS SDK's first calls off the critical path. A client's first call runs, for the first time in the
 * process, the SDK's middleware stack, its endpoint rules, the SigV4 signer, the query serialiser and the XML
 * deserialiser; until V8 has compiled them, every call costs several times what it costs later. Sending a few
 * calls through throw-away clients whose request handler answers in-process, from a canned answer, makes the
 * pack's first real look-up cost what any other does.
 *
 * The throw-away clients sign with dummy static credentials (never the caller's, so no credential provider
 * runs), are never kept or shared with the look-ups (lookup.ts makes its own clients), and their request
 * handler never opens a socket: nothing leaves the process, no AWS endpoint sees a call, and the canned
 * answers are read by nothing but the SDK's deserialiser and thrown away. Any failure is swallowed: the
 * warm-up is an optimisation only, and the look-ups work (and fail closed) the same without it.
 */
import { Readable } from "node:stream";
import { factsFromImage, permissionList } from "../rules/facts";
import { sdkClientConfig } from "./lookup";
import { ec2Sdk, stsSdk } from "./sdk";

/** Signs the throw-away clients' requests; not an identity anywhere, and never sent. */
const WARM_CREDENTIALS = {
  accessKeyId: "AKIDAMIGUARDWARMUP00",
  secretAccessKey: "ami-guard-warm-up-never-sent-anywhere",
};

/** An image id of the reserved all-zero form: never one of anybody's images. */
export const WARM_IMAGE_ID = "ami-00000000000000000";

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** Canned answers in each API's wire shape, shaped like the real ones so the same deserialisers run. */
const CANNED: Record<string, string> = {
  DescribeImages: `<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="${EC2_NS}"><requestId>00000000-0000-0000-0000-000000000000</requestId><imagesSet><item><imageId>${WARM_IMAGE_ID}</imageId><imageLocation>000000000000/ami-guard-warm-up</imageLocation><imageState>available</imageState><imageOwnerId>000000000000</imageOwnerId><creationDate>2000-01-01T00:00:00.000Z</creationDate><isPublic>false</isPublic><architecture>x86_64</architecture><imageType>machine</imageType><name>ami-guard-warm-up</name><description>ami-guard warm-up (never a real image)</description><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><virtualizationType>hvm</virtualizationType><hypervisor>xen</hypervisor><enaSupport>true</enaSupport><bootMode>uefi-preferred</bootMode><imdsSupport>v2.0</imdsSupport><deprecationTime>2000-01-02T00:00:00.000Z</deprecationTime><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-00000000000000000</snapshotId><volumeSize>8</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType><encrypted>true</encrypted><kmsKeyId>arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000</kmsKeyId></ebs></item><item><deviceName>/dev/sdb</deviceName><virtualName>ephemeral0</virtualName></item></blockDeviceMapping><tagSet><item><key>Name</key><value>ami-guard-warm-up</value></item><item><key>Version</key><value>0</value></item></tagSet></item></imagesSet></DescribeImagesResponse>`,
  DescribeImageAttribute: `<?xml version="1.0" encoding="UTF-8"?>
<DescribeImageAttributeResponse xmlns="${EC2_NS}"><requestId>00000000-0000-0000-0000-000000000000</requestId><imageId>${WARM_IMAGE_ID}</imageId><launchPermission><item><userId>000000000000</userId></item></launchPermission></DescribeImageAttributeResponse>`,
  GetCallerIdentity: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::000000000000:assumed-role/ami-guard-warm-up/warm-up</Arn><UserId>AROAAMIGUARDWARMUP000:warm-up</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
};

/** What the SDK hands a request handler (the subset read here). */
interface WarmRequest {
  body?: unknown;
}

/** The query protocol's `Action` of a request body. */
function actionOf(request: WarmRequest): string {
  const body = typeof request.body === "string" ? request.body : "";
  return new URLSearchParams(body).get("Action") ?? "";
}

/**
 * The throw-away clients' request handler: answers from {@link CANNED}, in-process. It has no way to reach
 * the network (it is the whole transport), and it counts what it answered.
 */
export class CannedHandler {
  /** Calls answered, by action. */
  readonly answered: Record<string, number> = {};

  handle(request: WarmRequest): Promise<{ response: unknown }> {
    const action = actionOf(request);
    const xml = CANNED[action];
    if (xml === undefined) return Promise.reject(new Error(`no canned answer for ${action || "this call"}`));
    this.answered[action] = (this.answered[action] ?? 0) + 1;
    const body = Buffer.from(xml, "utf8");
    return Promise.resolve({
      response: {
        statusCode: 200,
        reason: "OK",
        headers: { "content-type": "text/xml;charset=UTF-8", "content-length": String(body.length) },
        body: Readable.from([body]),
      },
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
}

/** Most times the warm-up sends each call: V8 compiles a function better the more it has run. */
export const WARM_ROUNDS = 10;

/**
 * The configuration of a throw-away client: the look-ups' own, with the canned transport and dummy credentials,
 * and the legacy defaults mode stated (the "auto" mode may ask the instance metadata service for the region).
 */
function warmConfig(region: string, handler: CannedHandler) {
  return {
    ...sdkClientConfig(region),
    credentials: WARM_CREDENTIALS,
    requestHandler: handler,
    defaultsMode: "legacy" as const,
  };
}

/**
 * Sends the calls a first sighting makes (DescribeImages, DescribeImageAttribute launchPermission, and, with
 * `sts`, GetCallerIdentity) up to `rounds` times each through throw-away clients for `region` answered by
 * `handler`, and reads the answers as the look-ups read them. Stops before a round once `stop` says so (the
 * pack has real work to do). Never rejects; resolves to what the handler answered.
 */
export async function warmAwsSdk(
  region: string,
  options: { sts?: boolean; rounds?: number; handler?: CannedHandler; stop?: () => boolean } = {},
): Promise<Record<string, number>> {
  const handler = options.handler ?? new CannedHandler();
  const rounds = options.rounds ?? WARM_ROUNDS;
  const stop = options.stop ?? (() => false);
  try {
    const ec2Api = ec2Sdk();
    const ec2 = new ec2Api.EC2Client(warmConfig(region, handler));
    try {
      for (let i = 0; i < rounds && !stop(); i++) {
        const images = await ec2.send(
          new ec2Api.DescribeImagesCommand({
            ImageIds: [WARM_IMAGE_ID],
            IncludeDeprecated: true,
            IncludeDisabled: true,
          }),
        );
        for (const image of images.Images ?? []) factsFromImage(image);
        const attribute = await ec2.send(
          new ec2Api.DescribeImageAttributeCommand({ ImageId: WARM_IMAGE_ID, Attribute: "launchPermission" }),
        );
        permissionList(attribute.LaunchPermissions);
      }
    } finally {
      ec2.destroy();
    }
    if (options.sts && !stop()) {
      const stsApi = stsSdk();
      const sts = new stsApi.STSClient(warmConfig(region, handler));
      try {
        for (let i = 0; i < rounds && !stop(); i++) await sts.send(new stsApi.GetCallerIdentityCommand({}));
      } finally {
        sts.destroy();
      }
    }
  } catch {
    // An optimisation only: the first look-up pays for what was not warmed, and reports its own failures.
  }
  return handler.answered;
}
