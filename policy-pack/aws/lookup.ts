/**
 * Where AMI facts come from: an inventory file in the `aws ec2 describe-images --output json` shape, or EC2
 * itself. Each distinct AMI is looked up at most once per process, concurrent asks share one call, and asks
 * made in the same tick are batched into one DescribeImages. Failures become `error` lookups (fail closed),
 * never exceptions. The wait on EC2 is bounded by a CallBudget (./budget), shared with the process's other
 * default sources.
 */
import { CallBudget, errorName, failure, positive, processBudget } from "./budget";
import { FileReadError, MAX_INVENTORY_BYTES, parseJsonText, readRegularFile } from "./files";
import {
  factsFromImage,
  permissionList,
  type AmiFacts,
  type AmiLookup,
  type LaunchPermissionsResult,
} from "../rules/facts";
import { ACCOUNT_ID } from "../rules/patterns";
import { ec2Sdk, stsSdk } from "./sdk";

export interface AmiSource {
  /** Looks one AMI up in a region. Never rejects. */
  lookup(imageId: string, region: string): Promise<AmiLookup>;
  /**
   * Who the image is shared with. `known` when the caller may read them (it owns the image) or the inventory
   * carries them; `not-owner` only when the image is someone else's (EC2's AuthFailure for an image whose owner
   * is not the caller's account; an inventory entry that `ownedBySettings` does not call ours); anything else
   * is an `error` naming the cause. `ownedBySettings`: the settings name the owner as ours (a trusted or
   * allow-listed account), which an inventory, unable to ask EC2, goes by. Never rejects.
   */
  launchPermissions(
    image: AmiFacts,
    region: string,
    ownedBySettings: boolean,
  ): Promise<LaunchPermissionsResult>;
  /** How many AWS API calls were made (0 for an inventory). */
  readonly calls: { describeImages: number; describeImageAttribute: number; getCallerIdentity: number };
}

export class InventoryError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "InventoryError";
  }
}

/** Parses an inventory's text. Throws InventoryError naming the file on anything but `{"Images": [...]}`. */
export function parseInventory(text: string, file: string): Map<string, AmiFacts> {
  return inventoryImages(parseInventoryText(text, file), file);
}

function parseInventoryText(text: string, file: string): unknown {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new InventoryError(file, `${file} is not valid JSON (${parsed.problem})`);
  return parsed.value;
}

/**
 * Reads an inventory file's JSON document: a regular file of at most 64 MiB (never a FIFO or a device), whose
 * syntax errors never quote it. Throws InventoryError naming the file. Every reader of the inventory (images,
 * parameters, launch template versions) goes through here.
 */
export function readInventoryDocument(file: string): unknown {
  let text: string;
  try {
    text = readRegularFile(file, MAX_INVENTORY_BYTES);
  } catch (e) {
    const reason = e instanceof FileReadError ? e.reason : String(e);
    throw new InventoryError(file, `cannot read inventory ${file}: ${reason}`);
  }
  return parseInventoryText(text, file);
}

/** The images of an inventory document. Throws InventoryError naming the file on anything but `{"Images": [...]}`. */
function inventoryImages(doc: unknown, file: string): Map<string, AmiFacts> {
  const images = (doc as { Images?: unknown } | null)?.Images;
  if (doc === null || typeof doc !== "object" || !Array.isArray(images)) {
    throw new InventoryError(
      file,
      `${file} is not in the shape of 'aws ec2 describe-images --output json': expected {"Images": [...]}`,
    );
  }
  const out = new Map<string, AmiFacts>();
  images.forEach((image, i) => {
    const f = factsFromImage(image);
    if (!f) throw new InventoryError(file, `${file}: Images[${i}] has no ImageId`);
    out.set(f.imageId, f);
  });
  return out;
}

/**
 * Reads an inventory file's images (see {@link readInventoryDocument}). Throws InventoryError naming the file
 * when it is missing, not a regular file, too large or malformed.
 */
export function readInventory(file: string): Map<string, AmiFacts> {
  return inventoryImages(readInventoryDocument(file), file);
}

/** Facts from an inventory file; no EC2 call is ever made. */
export class InventorySource implements AmiSource {
  readonly calls = { describeImages: 0, describeImageAttribute: 0, getCallerIdentity: 0 };
  constructor(
    private readonly images: Map<string, AmiFacts>,
    private readonly file: string,
  ) {}

  static fromFile(file: string): InventorySource {
    return new InventorySource(readInventory(file), file);
  }

  async lookup(imageId: string, region: string): Promise<AmiLookup> {
    const facts = this.images.get(imageId);
    return facts ? { kind: "found", facts } : { kind: "not-found", imageId, region };
  }

  async launchPermissions(
    image: AmiFacts,
    _region: string,
    ownedBySettings: boolean,
  ): Promise<LaunchPermissionsResult> {
    const permissions = this.images.get(image.imageId)?.launchPermissions ?? image.launchPermissions;
    if (permissions) return { kind: "known", permissions };
    if (!ownedBySettings) return { kind: "not-owner" };
    return {
      kind: "error",
      cause: `the inventory ${this.file} has no LaunchPermissions for this image of an account the settings call ours, so it cannot vouch for its sharing`,
    };
  }
}

/** The subset of an SDK client this module uses (so tests can hand in a mock). */
export interface Ec2Like {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export interface Ec2SourceOptions {
  /** Makes a client for a region; defaults to the SDK's EC2Client with adaptive retries. */
  clientFor?: (region: string) => Ec2Like;
  /** Makes the STS client that tells the caller's account; defaults to the SDK's STSClient. */
  stsClientFor?: (region: string) => Ec2Like;
  /** Most ids in one DescribeImages (EC2 accepts large lists; keep URLs reasonable). */
  maxBatch?: number;
  /** Most milliseconds one call may take, retries included; default AMI_GUARD_LOOKUP_BUDGET_MS or 45000. */
  budgetMs?: number;
  /** The budget to send through (shared with other sources); default a new one of `budgetMs`. */
  budget?: CallBudget;
  /**
   * Asked at an image's first sighting: true to ask its launch permissions (DescribeImageAttribute) alongside
   * its DescribeImages, so that the sharing policy's answer takes one round trip, not two. The answer is kept
   * and read only if {@link AmiSource.launchPermissions} asks for it, exactly as if it had been asked then: an
   * image that turns out not to need it (AWS's, with an owner alias) costs one unused call and never a finding,
   * and a timeout of the unused call does not count against the endpoint. Default: never (asked when needed).
   */
  permissionsAlongside?: () => boolean;
}

/** DescribeImageAttribute's answer or error, as sent; read by launchPermissions. */
type AttributeAnswer = { ok: true; response: unknown } | { ok: false; error: unknown };

/** Describes an SDK error for a message: its name/code and message, without a stack. */
export function describeError(e: unknown): string {
  if (e && typeof e === "object") {
    const err = e as {
      name?: string;
      Code?: string;
      code?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
    };
    const name = err.Code ?? err.name ?? err.code ?? "Error";
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : "";
    const msg = (err.message ?? "").split("\n")[0].slice(0, 300);
    return `${name}${status}${msg && msg !== name ? `: ${msg}` : ""}`;
  }
  return String(e);
}

export { errorName };

const NOT_FOUND = new Set(["InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"]);

/** Facts from EC2 DescribeImages, batched, de-duplicated and cached for the life of the process. */
export class Ec2Source implements AmiSource {
  readonly calls = { describeImages: 0, describeImageAttribute: 0, getCallerIdentity: 0 };
  private readonly cache = new Map<string, Promise<AmiLookup>>();
  private readonly permCache = new Map<string, Promise<LaunchPermissionsResult>>();
  private readonly attributeAnswers = new Map<string, Promise<AttributeAnswer>>();
  private readonly pending = new Map<string, Map<string, (r: AmiLookup) => void>>();
  private readonly clients = new Map<string, Ec2Like>();
  private account?: Promise<string>;
  private flushScheduled = false;
  private readonly maxBatch: number;
  private readonly budget: CallBudget;

  constructor(private readonly options: Ec2SourceOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
    this.budget = options.budget ?? new CallBudget(options.budgetMs);
  }

  private client(service: "ec2" | "sts", region: string): Ec2Like {
    const key = `${service}/${region}`;
    let c = this.clients.get(key);
    if (!c) {
      c =
        service === "ec2"
          ? (this.options.clientFor ?? defaultClientFor)(region)
          : (this.options.stsClientFor ?? defaultStsClientFor)(region);
      this.clients.set(key, c);
    }
    return c;
  }

  /** Sends one call through the budget (see ./budget); `markTimeouts` false: see {@link CallBudget.send}. */
  private send(
    service: "ec2" | "sts",
    region: string,
    command: unknown,
    markTimeouts = true,
  ): Promise<unknown> {
    return this.budget.send(
      this.client(service, region),
      service,
      region,
      command,
      describeError,
      markTimeouts,
    );
  }

  /** After a timeout, the endpoint is not asked again by this process (see {@link send}). */
  private noteTimeout(service: "ec2" | "sts", region: string, e: unknown): void {
    this.budget.noteTimeout(service, region, e, describeError);
  }

  lookup(imageId: string, region: string): Promise<AmiLookup> {
    const key = `${region}/${imageId}`;
    let p = this.cache.get(key);
    if (!p) {
      p = new Promise<AmiLookup>((resolve) => {
        let waiting = this.pending.get(region);
        if (!waiting) this.pending.set(region, (waiting = new Map()));
        waiting.set(imageId, resolve);
      });
      this.cache.set(key, p);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      if (this.options.permissionsAlongside?.()) void this.attribute(imageId, region);
    }
    return p;
  }

  private flush(): void {
    this.flushScheduled = false;
    const all = [...this.pending.entries()];
    this.pending.clear();
    for (const [region, waiting] of all) {
      const ids = [...waiting.keys()];
      for (let i = 0; i < ids.length; i += this.maxBatch) {
        const batch = ids.slice(i, i + this.maxBatch);
        void this.describe(region, batch).then((results) => {
          for (const id of batch) waiting.get(id)!(results.get(id)!);
        });
      }
    }
  }

  /** One DescribeImages for `ids`; on a not-found error for a batch, splits it so one bad id cannot sink the rest. */
  private async describe(region: string, ids: string[]): Promise<Map<string, AmiLookup>> {
    const out = new Map<string, AmiLookup>();
    try {
      const { DescribeImagesCommand } = ec2Sdk();
      this.calls.describeImages++;
      const resp = (await this.send(
        "ec2",
        region,
        new DescribeImagesCommand({ ImageIds: ids, IncludeDeprecated: true, IncludeDisabled: true }),
      )) as { Images?: unknown[] } | undefined;
      if (!resp || typeof resp !== "object" || (resp.Images !== undefined && !Array.isArray(resp.Images))) {
        throw failure("MalformedResponse", "EC2 answered DescribeImages with a malformed response");
      }
      for (const image of resp.Images ?? []) {
        const f = factsFromImage(image);
        if (f && ids.includes(f.imageId)) out.set(f.imageId, { kind: "found", facts: f });
      }
      for (const id of ids) if (!out.has(id)) out.set(id, { kind: "not-found", imageId: id, region });
    } catch (e) {
      if (NOT_FOUND.has(errorName(e))) {
        if (ids.length === 1) {
          out.set(ids[0], { kind: "not-found", imageId: ids[0], region });
        } else {
          const mid = Math.ceil(ids.length / 2);
          const [a, b] = await Promise.all([
            this.describe(region, ids.slice(0, mid)),
            this.describe(region, ids.slice(mid)),
          ]);
          for (const [k, v] of [...a, ...b]) out.set(k, v);
        }
      } else {
        const cause = describeError(e);
        for (const id of ids) out.set(id, { kind: "error", imageId: id, region, cause });
      }
    }
    return out;
  }

  /** EC2 itself tells who owns an image, so `ownedBySettings` is not needed here. */
  launchPermissions(
    image: AmiFacts,
    region: string,
    _ownedBySettings?: boolean,
  ): Promise<LaunchPermissionsResult> {
    const key = `${region}/${image.imageId}`;
    let p = this.permCache.get(key);
    if (!p) {
      p = this.describePermissions(image, region);
      this.permCache.set(key, p);
    }
    return p;
  }

  /**
   * DescribeImageAttribute launchPermission. Only the owner may read it: EC2 answers anyone else AuthFailure,
   * and that alone means "not ours" — after checking that the image's owner is not the caller's own account.
   * Every other failure (UnauthorizedOperation, throttling past the retries, 5xx, a timeout, an answer without
   * the list) is an error naming the cause.
   */
  private async describePermissions(image: AmiFacts, region: string): Promise<LaunchPermissionsResult> {
    try {
      const answer = await this.attribute(image.imageId, region);
      if (!answer.ok) {
        this.noteTimeout("ec2", region, answer.error);
        throw answer.error;
      }
      const resp = answer.response as { LaunchPermissions?: unknown } | undefined;
      const permissions = permissionList(resp?.LaunchPermissions);
      if (!permissions) {
        return {
          kind: "error",
          cause:
            "EC2 answered DescribeImageAttribute without a launchPermission list (malformed or empty answer)",
        };
      }
      return { kind: "known", permissions };
    } catch (e) {
      if (errorName(e) !== "AuthFailure") return { kind: "error", cause: describeError(e) };
      if (image.ownerId === undefined) {
        return {
          kind: "error",
          cause: `${describeError(e)}, and EC2 reported no owner for the image, so it cannot be told apart from one of ours`,
        };
      }
      let account: string;
      try {
        account = await this.callerAccount(region);
      } catch (err) {
        return {
          kind: "error",
          cause: `${describeError(e)}, and the caller's account could not be learned to tell whether the image is ours (sts:GetCallerIdentity: ${describeError(err)})`,
        };
      }
      if (account === image.ownerId) {
        return {
          kind: "error",
          cause: `${describeError(e)} for an image owned by the caller's own account ${account}`,
        };
      }
      return { kind: "not-owner" };
    }
  }

  /**
   * DescribeImageAttribute launchPermission for an image, sent once per image and region (at its first sighting
   * when permissionsAlongside says so, else when launchPermissions first asks); never rejects. A timeout is
   * noted against the endpoint only when the answer is read (describePermissions).
   */
  private attribute(imageId: string, region: string): Promise<AttributeAnswer> {
    const key = `${region}/${imageId}`;
    let p = this.attributeAnswers.get(key);
    if (!p) {
      p = (async (): Promise<AttributeAnswer> => {
        try {
          const { DescribeImageAttributeCommand } = ec2Sdk();
          this.calls.describeImageAttribute++;
          const response = await this.send(
            "ec2",
            region,
            new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "launchPermission" }),
            false,
          );
          return { ok: true, response };
        } catch (error) {
          return { ok: false, error };
        }
      })();
      this.attributeAnswers.set(key, p);
    }
    return p;
  }

  /** The caller's account (sts:GetCallerIdentity, which needs no permission), asked once per process. */
  private callerAccount(region: string): Promise<string> {
    if (!this.account) {
      this.account = (async () => {
        const { GetCallerIdentityCommand } = stsSdk();
        this.calls.getCallerIdentity++;
        const r = (await this.send("sts", region, new GetCallerIdentityCommand({}))) as
          { Account?: unknown } | undefined;
        if (typeof r?.Account !== "string" || !ACCOUNT_ID.test(r.Account))
          throw failure("MalformedResponse", "GetCallerIdentity answered without an account id");
        return r.Account;
      })();
    }
    return this.account;
  }
}

/** A credential set as the SDK takes it (structural, so the SDK is not loaded to type it). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The SDK's EC2 client for a region: standard credential chain (or `credentials`) and endpoint variables, adaptive retries. */
export function defaultClientFor(
  region: string,
  credentials?: () => Promise<AwsCredentialIdentity>,
): Ec2Like {
  // Loaded lazily: the SDK costs start-up time that an inventory-backed run never needs.
  const { EC2Client } = ec2Sdk();
  // Credentials undefined: the standard chain. Set: another account's view (an assumed role, see owner.ts).
  return new EC2Client({ ...sdkClientConfig(region), credentials });
}

/**
 * The configuration every SDK client of the pack uses (EC2, SSM): the region, adaptive retries
 * (AWS_MAX_ATTEMPTS) and the request timeout (AMI_GUARD_EC2_TIMEOUT_MS); credentials and endpoints
 * (AWS_ENDPOINT_URL_<SERVICE>) come from the SDK's standard chain.
 */
export function sdkClientConfig(region: string) {
  const maxAttempts = positive(process.env.AWS_MAX_ATTEMPTS) ?? 5;
  const requestTimeout = positive(process.env.AMI_GUARD_EC2_TIMEOUT_MS) ?? 15_000;
  return {
    region,
    retryMode: "adaptive",
    maxAttempts,
    requestHandler: {
      connectionTimeout: Math.min(5_000, requestTimeout),
      requestTimeout,
      throwOnRequestTimeout: true,
    },
  };
}

/** The SDK's STS client for a region, with the same retries and timeouts as EC2's. */
export function defaultStsClientFor(region: string): Ec2Like {
  const { STSClient } = stsSdk();
  return new STSClient(sdkClientConfig(region));
}

/** Chooses the source: the inventory named by `inventoryFile` or AMI_GUARD_INVENTORY, else EC2 (with `options`). */
export function sourceFromEnvironment(
  inventoryFile = process.env.AMI_GUARD_INVENTORY,
  options: Ec2SourceOptions = {},
): AmiSource {
  return inventoryFile
    ? InventorySource.fromFile(inventoryFile)
    : new Ec2Source({ budget: processBudget(), ...options });
}
