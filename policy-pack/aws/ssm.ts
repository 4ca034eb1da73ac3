/**
 * `resolve:ssm:` AMI references, as EC2 resolves them at launch: `resolve:ssm:<name>`, `resolve:ssm:<name>:<version>`,
 * `resolve:ssm:<name>:<label>` and `resolve:ssm:<parameter ARN>[:<version or label>]`. Parameter values come from
 * SSM GetParameters (batched per tick and region, at most ten names a call, each parameter asked once per
 * process, through the SDK's standard configuration including AWS_ENDPOINT_URL_SSM) or from the `Parameters`
 * list of an inventory file (the shape `aws ssm get-parameters --output json` prints). Failures become `error`
 * look-ups naming the cause (fail closed), never exceptions.
 */
import { TickBatcher } from "../rules/batch";
import { CallBudget } from "./budget";
import { ssmSdk } from "./sdk";
import { InventoryError, describeError, errorName, sdkClientConfig, type Ec2Like } from "./lookup";

export const SSM_PREFIX = "resolve:ssm:";

/** A parsed `resolve:ssm:` reference. */
export interface ParameterRef {
  /** The reference as written, e.g. `resolve:ssm:/golden/web:3`. */
  text: string;
  /** The parameter's name or ARN, without the selector. */
  name: string;
  /** `:3` (a version) or `:prod` (a label); undefined for the current version. */
  selector?: string;
  /** The region of an ARN reference (the parameter lives there); undefined for a name. */
  region?: string;
}

/** One parameter as `aws ssm get-parameters --output json` prints it (the fields the pack reads). */
export interface ParameterValue {
  Name: string;
  Value: string;
  Version?: number;
  /** `:3` or `:label` when the parameter was asked for with a selector. */
  Selector?: string;
  ARN?: string;
  Type?: string;
  DataType?: string;
}

export type ParameterLookup =
  | { kind: "found"; parameter: ParameterValue }
  | { kind: "not-found"; region: string }
  | { kind: "error"; region: string; cause: string };

export interface ParameterSource {
  /** Resolves one reference in a region (an ARN's own region wins). Never rejects. */
  resolve(ref: ParameterRef, region: string): Promise<ParameterLookup>;
  /** How many SSM API calls were made (0 for an inventory). */
  readonly calls: { getParameters: number };
}

const NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;
const SELECTOR = /^:(?:[0-9]{1,19}|[A-Za-z][A-Za-z0-9_.-]{0,99})$/;
const ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):([0-9]{12})?:parameter(\/?[A-Za-z0-9_.\-/]+)$/;

/** True for a value EC2 would resolve through SSM. */
export function isParameterReference(value: string): boolean {
  return value.startsWith(SSM_PREFIX);
}

/**
 * Parses a `resolve:ssm:` reference; `{ error }` when it is one but malformed, undefined when it is not one.
 */
export function parseParameterReference(text: string): ParameterRef | { error: string } | undefined {
  if (!isParameterReference(text)) return undefined;
  const rest = text.slice(SSM_PREFIX.length).trim();
  const bad = (why: string) => ({ error: `"${text}" is not a valid SSM parameter reference (${why})` });
  if (rest === "") return bad("no parameter name");
  if (rest.startsWith("arn:")) {
    const parts = rest.split(":");
    if (parts.length < 6 || parts.length > 7) return bad("expected an SSM parameter ARN");
    const arn = parts.slice(0, 6).join(":");
    const m = ARN.exec(arn);
    if (!m) return bad("expected arn:aws:ssm:<region>:<account>:parameter/<name>");
    const selector = parts.length === 7 ? `:${parts[6]}` : undefined;
    if (selector !== undefined && !SELECTOR.test(selector)) return bad(`selector "${selector}"`);
    return { text, name: arn, selector, region: m[1] };
  }
  const parts = rest.split(":");
  if (parts.length > 2) return bad("more than one selector");
  if (!NAME.test(parts[0])) return bad(`parameter name "${parts[0]}"`);
  const selector = parts.length === 2 ? `:${parts[1]}` : undefined;
  if (selector !== undefined && !SELECTOR.test(selector)) return bad(`selector "${selector}"`);
  return { text, name: parts[0], selector };
}

/** What GetParameters is asked for: the name (or ARN) followed by the selector. */
export function requestName(ref: ParameterRef): string {
  return ref.name + (ref.selector ?? "");
}

/** The parameter for messages: `/golden/web` or `/golden/web (version 3)` / `(label prod)`. */
export function describeRef(ref: ParameterRef): string {
  if (!ref.selector) return ref.name;
  const s = ref.selector.slice(1);
  return `${ref.name} (${/^[0-9]+$/.test(s) ? "version" : "label"} ${s})`;
}

function arnRegion(arn: string | undefined): string | undefined {
  return arn ? /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):/.exec(arn)?.[1] : undefined;
}

function bareName(nameOrArn: string): string {
  const m = ARN.exec(nameOrArn);
  return (m ? m[3] : nameOrArn).replace(/^\/+/, "");
}

/** True when `p` (an SSM answer or an inventory entry) is the value `ref` asks for in `region`. */
export function parameterMatches(p: ParameterValue, ref: ParameterRef, region: string): boolean {
  const where = arnRegion(p.ARN);
  if (where !== undefined && where !== (ref.region ?? region)) return false;
  const names = [p.Name, p.ARN].filter((x): x is string => typeof x === "string");
  const nameOk = names.includes(ref.name) || names.some((n) => bareName(n) === bareName(ref.name));
  if (!nameOk) return false;
  if (ref.selector === undefined) return !p.Selector;
  if (p.Selector === ref.selector) return true;
  const version = /^:([0-9]+)$/.exec(ref.selector);
  return version !== null && p.Version !== undefined && Number(p.Version) === Number(version[1]);
}

/** The `Parameters` of an inventory document, validated; [] when the document has none. */
export function parametersOfInventory(doc: unknown, file: string): ParameterValue[] {
  const raw = (doc as { Parameters?: unknown } | null)?.Parameters;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    throw new InventoryError(
      file,
      `${file}: "Parameters" must be a list in the shape of 'aws ssm get-parameters --output json'`,
    );
  }
  return raw.map((p, i): ParameterValue => {
    const r = (p ?? {}) as Record<string, unknown>;
    if (typeof r.Name !== "string" || r.Name === "" || typeof r.Value !== "string") {
      throw new InventoryError(file, `${file}: Parameters[${i}] needs a string Name and Value`);
    }
    const version = r.Version === undefined ? undefined : Number(r.Version);
    if (version !== undefined && !Number.isInteger(version)) {
      throw new InventoryError(file, `${file}: Parameters[${i}].Version is not a whole number`);
    }
    for (const k of ["ARN", "Selector", "Type", "DataType"]) {
      if (r[k] !== undefined && typeof r[k] !== "string")
        throw new InventoryError(file, `${file}: Parameters[${i}].${k} is not a string`);
    }
    return {
      Name: r.Name,
      Value: r.Value,
      Version: version,
      Selector: r.Selector as string | undefined,
      ARN: r.ARN as string | undefined,
      Type: r.Type as string | undefined,
      DataType: r.DataType as string | undefined,
    };
  });
}

/** Parameter values from an inventory file; no SSM call is ever made. */
export class InventoryParameterSource implements ParameterSource {
  readonly calls = { getParameters: 0 };
  constructor(
    private readonly parameters: readonly ParameterValue[],
    private readonly file: string,
  ) {}

  async resolve(ref: ParameterRef, region: string): Promise<ParameterLookup> {
    const where = ref.region ?? region;
    const p = this.parameters.find((x) => parameterMatches(x, ref, where));
    if (p) return { kind: "found", parameter: p };
    return {
      kind: "error",
      region: where,
      cause: `the inventory ${this.file} has no value for it (add it to "Parameters": aws ssm get-parameters --names ${requestName(ref)} --region ${where} --output json)`,
    };
  }
}

export interface SsmSourceOptions {
  /** Makes a client for a region; defaults to the SDK's SSMClient with the pack's retries and timeout. */
  clientFor?: (region: string) => Ec2Like;
  /** The budget every call is sent through (./budget); default a new one (AMI_GUARD_LOOKUP_BUDGET_MS). */
  budget?: CallBudget;
}

// GetParameters takes at most ten names.
const MAX_NAMES = 10;
const NOT_FOUND = new Set(["ParameterNotFound", "ParameterVersionNotFound"]);
const SPLIT = new Set([...NOT_FOUND, "ValidationException", "InvalidParameters"]);

/** Parameter values from SSM GetParameters, batched per tick and region, cached for the life of the process. */
export class SsmSource implements ParameterSource {
  readonly calls = { getParameters: 0 };
  private readonly refs = new Map<string, ParameterRef>();
  private readonly batcher = new TickBatcher<ParameterLookup>(
    (region, keys) => this.get(region, keys),
    MAX_NAMES,
    (_key, cause) => ({ kind: "error", region: "", cause }),
  );

  private readonly budget: CallBudget;

  private readonly client: (region: string) => Ec2Like;

  constructor(options: SsmSourceOptions = {}) {
    this.budget = options.budget ?? new CallBudget();
    this.client = this.budget.clientsFor("ssm", options.clientFor ?? defaultSsmClientFor, describeError);
  }

  resolve(ref: ParameterRef, region: string): Promise<ParameterLookup> {
    const where = ref.region ?? region;
    const key = requestName(ref);
    this.refs.set(`${where}\u0000${key}`, ref);
    return this.batcher.get(where, key);
  }

  /** One GetParameters for `names`; an error that one bad name can cause splits the batch. */
  private async get(region: string, names: string[]): Promise<Map<string, ParameterLookup>> {
    const out = new Map<string, ParameterLookup>();
    try {
      const { GetParametersCommand } = ssmSdk();
      this.calls.getParameters++;
      const resp = (await this.client(region).send(new GetParametersCommand({ Names: names }))) as
        { Parameters?: unknown; InvalidParameters?: unknown } | undefined;
      if (
        !resp ||
        typeof resp !== "object" ||
        (resp.Parameters !== undefined && !Array.isArray(resp.Parameters)) ||
        (resp.InvalidParameters !== undefined && !Array.isArray(resp.InvalidParameters))
      ) {
        throw Object.assign(new Error("SSM answered GetParameters with a malformed response"), {
          name: "MalformedResponse",
        });
      }
      const invalid = new Set((resp.InvalidParameters ?? []) as unknown[]);
      const answered = ((resp.Parameters ?? []) as unknown[]).filter(
        (p): p is ParameterValue =>
          !!p &&
          typeof p === "object" &&
          typeof (p as ParameterValue).Name === "string" &&
          typeof (p as ParameterValue).Value === "string",
      );
      for (const name of names) {
        const ref = this.refs.get(`${region}\u0000${name}`)!;
        const p = answered.find((x) => parameterMatches(x, ref, region));
        if (p) out.set(name, { kind: "found", parameter: p });
        else if (invalid.has(name)) out.set(name, { kind: "not-found", region });
        else
          out.set(name, {
            kind: "error",
            region,
            cause:
              "MalformedResponse: SSM's GetParameters answer neither gave its value nor listed it as invalid",
          });
      }
    } catch (e) {
      if (SPLIT.has(errorName(e)) && names.length > 1) {
        const mid = Math.ceil(names.length / 2);
        const [a, b] = await Promise.all([
          this.get(region, names.slice(0, mid)),
          this.get(region, names.slice(mid)),
        ]);
        for (const [k, v] of [...a, ...b]) out.set(k, v);
      } else if (NOT_FOUND.has(errorName(e))) {
        out.set(names[0], { kind: "not-found", region });
      } else {
        const cause = describeError(e);
        for (const n of names) out.set(n, { kind: "error", region, cause });
      }
    }
    return out;
  }
}

/** The SDK's SSM client for a region: standard credentials and AWS_ENDPOINT_URL_SSM, the pack's retries and timeout. */
export function defaultSsmClientFor(region: string): Ec2Like {
  // Loaded lazily, like the EC2 SDK: an inventory-backed run never needs it.
  const { SSMClient } = ssmSdk();
  return new SSMClient(sdkClientConfig(region));
}
