/**
 * Where AMI facts come from: an inventory file in the `aws ec2 describe-images --output json` shape, or EC2
 * itself. Each distinct AMI is looked up at most once per process, concurrent asks share one call, and asks
 * made in the same tick are batched into one DescribeImages. Failures become `error` lookups (fail closed),
 * never exceptions.
 */
import { FileReadError, MAX_INVENTORY_BYTES, parseJsonText, readRegularFile } from "./files";
import { factsFromImage, type AmiFacts, type AmiLookup, type LaunchPermission } from "./facts";

export interface AmiSource {
  /** Looks one AMI up in a region. Never rejects. */
  lookup(imageId: string, region: string): Promise<AmiLookup>;
  /** The image's launch permissions, where the caller may read them (undefined otherwise). Never rejects. */
  launchPermissions(imageId: string, region: string): Promise<LaunchPermission[] | undefined>;
  /** How many EC2 API calls were made (0 for an inventory). */
  readonly calls: { describeImages: number; describeImageAttribute: number };
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
  readonly calls = { describeImages: 0, describeImageAttribute: 0 };
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

  async launchPermissions(imageId: string): Promise<LaunchPermission[] | undefined> {
    return this.images.get(imageId)?.launchPermissions;
  }
}

/** The subset of the EC2 client this module uses (so tests can hand in a mock). */
export interface Ec2Like {
  send(command: unknown): Promise<unknown>;
}

export interface Ec2SourceOptions {
  /** Makes a client for a region; defaults to the SDK's EC2Client with adaptive retries. */
  clientFor?: (region: string) => Ec2Like;
  /** Most ids in one DescribeImages (EC2 accepts large lists; keep URLs reasonable). */
  maxBatch?: number;
}

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

export function errorName(e: unknown): string {
  const err = e as { name?: string; Code?: string } | undefined;
  return err?.Code ?? err?.name ?? "";
}

const NOT_FOUND = new Set(["InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"]);

/** Facts from EC2 DescribeImages, batched, de-duplicated and cached for the life of the process. */
export class Ec2Source implements AmiSource {
  readonly calls = { describeImages: 0, describeImageAttribute: 0 };
  private readonly cache = new Map<string, Promise<AmiLookup>>();
  private readonly permCache = new Map<string, Promise<LaunchPermission[] | undefined>>();
  private readonly pending = new Map<string, Map<string, (r: AmiLookup) => void>>();
  private readonly clients = new Map<string, Ec2Like>();
  private flushScheduled = false;
  private readonly maxBatch: number;

  constructor(private readonly options: Ec2SourceOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  private client(region: string): Ec2Like {
    let c = this.clients.get(region);
    if (!c) {
      c = (this.options.clientFor ?? defaultClientFor)(region);
      this.clients.set(region, c);
    }
    return c;
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
      const { DescribeImagesCommand } = await import("@aws-sdk/client-ec2");
      this.calls.describeImages++;
      const resp = (await this.client(region).send(
        new DescribeImagesCommand({ ImageIds: ids, IncludeDeprecated: true, IncludeDisabled: true }),
      )) as { Images?: unknown[] } | undefined;
      if (!resp || typeof resp !== "object" || (resp.Images !== undefined && !Array.isArray(resp.Images))) {
        throw Object.assign(new Error("EC2 answered DescribeImages with a malformed response"), {
          name: "MalformedResponse",
        });
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

  launchPermissions(imageId: string, region: string): Promise<LaunchPermission[] | undefined> {
    const key = `${region}/${imageId}`;
    let p = this.permCache.get(key);
    if (!p) {
      p = this.describePermissions(imageId, region);
      this.permCache.set(key, p);
    }
    return p;
  }

  private async describePermissions(
    imageId: string,
    region: string,
  ): Promise<LaunchPermission[] | undefined> {
    try {
      const { DescribeImageAttributeCommand } = await import("@aws-sdk/client-ec2");
      this.calls.describeImageAttribute++;
      const resp = (await this.client(region).send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "launchPermission" }),
      )) as { LaunchPermissions?: LaunchPermission[] };
      return Array.isArray(resp?.LaunchPermissions) ? resp.LaunchPermissions : [];
    } catch {
      // Only the owner may read launch permissions: anyone else's image answers AuthFailure, and that is fine.
      return undefined;
    }
  }
}

/** The SDK's EC2 client for a region: standard credential chain and endpoint variables, adaptive retries. */
export function defaultClientFor(region: string): Ec2Like {
  // Loaded lazily: the SDK costs start-up time that an inventory-backed run never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EC2Client } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
  return new EC2Client(sdkClientConfig(region));
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

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Chooses the source: the inventory named by `inventoryFile` or AMI_GUARD_INVENTORY, else EC2. */
export function sourceFromEnvironment(inventoryFile = process.env.AMI_GUARD_INVENTORY): AmiSource {
  return inventoryFile ? InventorySource.fromFile(inventoryFile) : new Ec2Source();
}
