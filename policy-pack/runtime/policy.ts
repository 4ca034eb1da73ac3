/**
 * The bridge between @pulumi/policy's runtime and the rules core: builds a plain, unknown-safe view of the
 * resource, resolves the policy's settings, looks AMIs up, and turns every failure into a violation at the
 * policy's level (fail closed) rather than an exception, which would fail the whole preview.
 */
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  PolicyConfigSchema,
} from "@pulumi/policy";
import type { AmiFacts } from "../rules/facts";
import { sourceFromEnvironment, type AmiSource } from "../aws/lookup";
import { judgeSharingAsSeen, judgeTagsAsSeen, ownerViews } from "../aws/owner";
import { snapshotSource, type SnapshotLookup } from "../aws/snapshots";
import { CATALOGUE, practiceTags, type CatalogueEntry, STACK_RULES } from "../rules/catalogue";
import { RULES, judgeMissing, type Finding, type RuleName } from "../rules/rules";
import { configSchema, resolveSettings, SettingsError, type AmiGuardSettings } from "../rules/settings";
import {
  TYPES,
  amiUses,
  isUnlisted,
  resolveRegion,
  scannedUses,
  type AmiPurpose,
  type AmiUse,
} from "../rules/resources";
import { UNKNOWN, isUnknown, plain, rec, type Unknown } from "../rules/values";
import { TEMPLATE_REFERRERS } from "../aws/launch-templates";
import { isReference, referenceSources, resolveReference, templateUses } from "../aws/references";
import { installWireCompatibility, isPlainRequestValue, requestValue } from "./wire";
import { engineConfig, type EngineConfig } from "./engine-hooks";
import { warmAwsSdk } from "../aws/warm-up";
import { warmRequestPath } from "./request-warm-up";
import { ec2Sdk, stsSdk } from "../aws/sdk";
import { REGION } from "../rules/patterns";

installWireCompatibility();

/** What a policy sees of one resource, with nothing left that can throw on read. */
export interface ResourceView {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  region: string | Unknown | undefined;
  ignoreChanges: string[];
  settings: AmiGuardSettings;
  now: Date;
}

export interface PolicyDefinition {
  /** The rule: its title, description, severity, practices, remediation and settings come from the catalogue. */
  rule: RuleName;
  /** The resource types this policy judges (others are reported not applicable). */
  types: readonly string[];
  /**
   * Also judge types the resource table does not list, when a scan of their inputs finds an AMI reference
   * (see resources.ts scannedUses): an unlisted type is never a way around the pack.
   */
  scansUnlisted?: boolean;
  validate(view: ResourceView, report: (message: string) => void): Promise<void> | void;
}

let source: AmiSource | undefined;
let sourceError: string | undefined;

/**
 * True when the sharing policy will read launch permissions as the caller: the engine configured the pack, the
 * policy is not disabled and maps no owner to a read role (with ownerReadRoles, shared images' permissions are
 * read as their owner, never as the caller). Then a new image's DescribeImageAttribute is asked alongside its
 * DescribeImages (lookup.ts, permissionsAlongside). Before any Configure (a pack driven without one, the tests
 * in process) it is false and the calls stay sequential, as they were.
 */
export function permissionsAlongside(): boolean {
  const config = engineConfig();
  if (!config) return false;
  const sharing = config.get(RULES.shared);
  if (!sharing) return true; // not configured: the policy runs with its defaults (no ownerReadRoles)
  if (sharing.enforcementLevel === "disabled") return false;
  const roles = sharing.properties.ownerReadRoles;
  return !(roles !== null && typeof roles === "object" && Object.keys(roles).length > 0);
}

/** Rules whose policies judge a resource's inputs only and never look an AMI up; every other one may. */
const INPUT_ONLY_RULES: ReadonlySet<string> = new Set<string>([RULES.mutable]);

/**
 * True when the pack may look AMIs up in AWS: the facts do not come from an inventory (which never calls AWS),
 * and the engine's configuration, when it sent one, leaves at least one policy that looks AMIs up enabled
 * (a policy it does not mention runs at its own level). A rule added later counts as looking up until it is
 * listed as judging inputs only.
 */
export function awsLookUpsExpected(
  config: ReadonlyMap<string, EngineConfig> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.AMI_GUARD_INVENTORY) return false;
  if (!config) return true;
  return Object.values(RULES).some(
    (rule) => !INPUT_ONLY_RULES.has(rule) && config.get(rule)?.enforcementLevel !== "disabled",
  );
}

/** True once the engine has sent a resource to judge (the first Analyze has begun). */
let analysing = false;

/** The region the warm-up's throw-away clients are made for: the process's AWS region, else us-east-1. */
export function warmUpRegion(env: NodeJS.ProcessEnv = process.env): string {
  for (const r of [env.AWS_REGION, env.AWS_DEFAULT_REGION]) if (r && REGION.test(r)) return r;
  return "us-east-1";
}

/**
 * Prepares the pack's first look-up once the engine has configured the stack (engine-hooks.ts), while the engine
 * runs the program: loads the AWS SDK clients a first sighting needs (EC2, and STS for a refused
 * DescribeImageAttribute), then, until the first Analyze begins, warms their first calls in-process with canned
 * answers (../aws/warm-up.ts: no network, no credentials, nothing kept). Nothing at all when the pack will
 * make no look-ups ({@link awsLookUpsExpected}). `begun` tells whether analysis has begun (default: a policy of
 * this pack has been asked to judge a resource). Returns the warm-up (what its canned transport answered), or
 * undefined when it loaded nothing or analysis had begun. Throws only when the SDK cannot be loaded; the
 * warm-up never rejects.
 */
export function preloadAwsSdk(
  env: NodeJS.ProcessEnv = process.env,
  config: ReadonlyMap<string, EngineConfig> | undefined = engineConfig(),
  begun: () => boolean = () => analysing,
): Promise<Record<string, number>> | undefined {
  if (!awsLookUpsExpected(config, env)) return undefined;
  ec2Sdk();
  stsSdk();
  if (begun()) return undefined;
  return warmAwsSdk(warmUpRegion(env), { sts: true, stop: begun });
}

/**
 * What the pack prepares once the engine has configured the stack (engine-hooks.ts), while the engine runs the
 * program: the AWS SDK and its first calls ({@link preloadAwsSdk}), then the request path every `Analyze` runs
 * (request-warm-up.ts), each only until the first `Analyze` begins. Never rejects.
 */
export async function prepareForAnalysis(
  begun: () => boolean = () => analysing,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ sdk?: Record<string, number>; requestRounds: number }> {
  let sdk: Record<string, number> | undefined;
  try {
    sdk = await preloadAwsSdk(env, engineConfig(), begun);
  } catch {
    sdk = undefined; // the SDK could not be loaded: the first look-up loads it again and reports the failure
  }
  const requestRounds = begun() ? 0 : await warmRequestPath({ stop: begun });
  return { sdk, requestRounds };
}

/** The process-wide AMI source (inventory or EC2), made once. */
export function amiSource(): AmiSource | string {
  if (!source && !sourceError) {
    try {
      source = sourceFromEnvironment(process.env.AMI_GUARD_INVENTORY, { permissionsAlongside });
    } catch (e) {
      sourceError = (e as Error).message;
    }
  }
  return source ?? (sourceError as string);
}

/**
 * A rule only an image's owner can judge (its tags, its launch permissions), judged on the view that counts: the
 * owner's, read through `ownerReadRoles` where that maps the owner, else this account's, saying what it cannot
 * see (`aws/owner.ts`). Policies reach the AWS edges only through the runtime.
 */
export function judgeAsSeen(
  rule: "tags" | "sharing",
  o: { facts: AmiFacts; region: string },
  s: AmiGuardSettings,
): Promise<readonly Finding[]> {
  // The verdict on an image depends on nothing of the resource that uses it: it is kept per image (its facts,
  // as the source cached them), rule and region, for as long as the settings, the AMI source and the owners'
  // views are the ones it was made with. The sources keep every answer, failures included, for the life of the
  // process, so this gives exactly what asking them again would.
  const src = amiSource();
  const owners = ownerViews();
  let byKey = seenVerdicts.get(o.facts);
  if (!byKey) seenVerdicts.set(o.facts, (byKey = new Map()));
  const key = `${rule}\u0000${o.region}`;
  const known = byKey.get(key);
  if (known && known.settings === s && known.src === src && known.owners === owners) return known.findings;
  const findings = (rule === "tags" ? judgeTagsAsSeen : judgeSharingAsSeen)(o.facts, o.region, s, src).then(
    (f): readonly Finding[] => Object.freeze(f),
  );
  byKey.set(key, { settings: s, src, owners, findings });
  return findings;
}

const seenVerdicts = new WeakMap<
  AmiFacts,
  Map<
    string,
    {
      settings: AmiGuardSettings;
      src: AmiSource | string;
      owners: ReturnType<typeof ownerViews>;
      findings: Promise<readonly Finding[]>;
    }
  >
>();

/** Who owns an EBS snapshot, through the process's snapshot source (`aws/snapshots.ts`). */
export function snapshotOwner(snapshotId: string, region: string): Promise<SnapshotLookup> {
  return snapshotSource().owner(snapshotId, region);
}

/** Replaces the process-wide AMI source (tests and the benchmark). */
export function setAmiSource(s: AmiSource | undefined): void {
  source = s;
  sourceError = undefined;
}

/** The clock the rules use; tests set it. */
let clock: () => Date = () => new Date();
export function setClock(c: () => Date): void {
  clock = c;
}

// The runtime's own unknown-value error (internal to @pulumi/policy, so not in its typings): a policy that
// throws it gets an advisory "can't run during preview" diagnostic instead of failing the preview.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyModule = require("@pulumi/policy/proxy") as {
  UnknownValueError: new (sentinel: string, path: string[]) => Error;
  unknownStringValue: string;
  getSpecialProxyTarget?: string;
};
const UnknownValueError = proxyModule.UnknownValueError;

/** Thrown to make the runtime report "checked at update" as an advisory diagnostic, as it does for unknowns. */
export class CheckedAtUpdate extends UnknownValueError {
  constructor(message: string, path: string) {
    super(proxyModule.unknownStringValue, [path]);
    this.message = message;
  }
}

/** A policy's name, title, description, severity, tags, remediation, enforcement level and settings schema. */
export function policyMetadata(
  name: RuleName | (typeof STACK_RULES)[keyof typeof STACK_RULES],
): Pick<
  ResourceValidationPolicy,
  | "name"
  | "displayName"
  | "description"
  | "severity"
  | "tags"
  | "remediationSteps"
  | "enforcementLevel"
  | "configSchema"
> & { configSchema: PolicyConfigSchema } {
  const entry: CatalogueEntry = CATALOGUE[name];
  return {
    name,
    displayName: entry.title,
    description: entry.description,
    severity: entry.severity,
    tags: practiceTags(entry),
    remediationSteps: entry.remediation,
    enforcementLevel: entry.enforcementLevel ?? "mandatory",
    configSchema: configSchema(entry.settings),
  };
}

/** Builds a ResourceValidationPolicy from a definition, wrapping it so that it never throws. */
export function resourcePolicy(def: PolicyDefinition): ResourceValidationPolicy {
  // A policy that judges what launchers launch also judges the types that launch from a launch template.
  const types = new Set(
    def.types.includes(TYPES.instance) ? [...def.types, ...TEMPLATE_REFERRERS] : def.types,
  );
  return {
    ...policyMetadata(def.rule),
    validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      analysing = true;
      if (!types.has(args.type) && !(def.scansUnlisted && scannedType(args))) {
        args.notApplicable(
          `Policy applies to ${types.size} AMI-bearing resource types and to others whose inputs hold an AMI reference; this resource has none`,
        );
        return;
      }
      const report = (message: string) =>
        reportViolation(`${shortType(args.type)} "${args.name}": ${message}`);
      let view: ResourceView;
      try {
        view = makeView(args, def.rule);
      } catch (e) {
        if (e instanceof SettingsError) {
          report(`invalid policy configuration: ${e.message}. Fix the policy pack configuration.`);
          return;
        }
        report(`could not read the resource (${(e as Error)?.message}); failing closed.`);
        return;
      }
      try {
        await def.validate(view, report);
      } catch (e) {
        if (e instanceof UnknownValueError) throw e; // the runtime turns it into an advisory diagnostic
        report(`policy failed unexpectedly (${(e as Error)?.message ?? String(e)}); failing closed.`);
      }
    },
  };
}

/** True for an unlisted type whose inputs hold an AMI reference. Never throws. */
function scannedType(args: ResourceValidationArgs): boolean {
  if (!isUnlisted(args.type)) return false;
  try {
    return scannedUses(resourceOf(args).props).length > 0;
  } catch {
    return true; // unreadable inputs: judge them (fail closed)
  }
}

/** What every policy reads of one resource alike: its inputs as plain data, its region, and the time. */
interface ResourceData {
  props: Record<string, unknown>;
  region: string | Unknown | undefined;
  now: Date;
}

/**
 * One resource's data, made once per Analyze and shared by its policies: keyed on the runtime's deserialised
 * copy of the request's inputs, which the runtime shares between the policies of one request and never between
 * requests (wire.ts), so a resource sent again (another Analyze) is read afresh. Inputs handed in any other way
 * (a test calling a policy directly) are read for each call, as before.
 */
const perRequest = new WeakMap<object, ResourceData>();

const PROXY_TARGET = proxyModule.getSpecialProxyTarget ?? "__getSpecialProxyTarget";

function requestKey(props: unknown): object | undefined {
  try {
    const target = (props as Record<string, unknown> | null | undefined)?.[PROXY_TARGET];
    return requestValue(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

function resourceOf(args: ResourceValidationArgs): ResourceData {
  const key = requestKey(args.props);
  const known = key && perRequest.get(key);
  if (known) return known;
  // A request's inputs that are plain JSON data are read as the runtime holds them (frozen, shared by the
  // request's policies); any others are copied with unknowns and proxies made safe to read.
  const props = key && isPlainRequestValue(key) ? (key as Record<string, unknown>) : rec(plain(args.props));
  const provider = args.provider ? rec(plain(args.provider.props)) : undefined;
  const data: ResourceData = { props, region: resolveRegion(props, provider), now: clock() };
  if (key) perRequest.set(key, data);
  return data;
}

/**
 * Each policy's settings, resolved once per distinct configuration: the engine's configuration is fixed for
 * the life of the pack, and `getConfig` hands out a fresh copy of it on every call. A configuration error is
 * kept too, and thrown again.
 */
const settingsCache = new Map<string, AmiGuardSettings | SettingsError>();

/**
 * The last configuration each policy was handed, with what it resolved to. `getConfig` copies the engine's
 * configuration shallowly (its property values are the same values each time, and nothing writes to them), so
 * when every property of a new copy is the very value of the last one, the settings are the last ones: no
 * serialisation per call. Any other configuration (another value, a key more or less) is looked up by content.
 */
const lastConfig = new Map<
  string,
  { raw: Record<string, unknown>; keys: number; out: AmiGuardSettings | SettingsError }
>();

function sameValues(a: Record<string, unknown>, keys: number, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const k in b) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) continue;
    if (!Object.prototype.hasOwnProperty.call(a, k) || a[k] !== b[k]) return false;
    n++;
  }
  return n === keys;
}

function settingsOf(raw: Record<string, unknown>, policyName: string): AmiGuardSettings {
  const last = lastConfig.get(policyName);
  let out: AmiGuardSettings | SettingsError | undefined =
    last && raw !== null && typeof raw === "object" && sameValues(last.raw, last.keys, raw)
      ? last.out
      : undefined;
  if (out === undefined) {
    out = resolveByContent(raw, policyName);
    if (raw !== null && typeof raw === "object")
      lastConfig.set(policyName, { raw: { ...raw }, keys: Object.keys(raw).length, out });
  }
  if (out instanceof SettingsError) throw out;
  return out;
}

function resolveByContent(
  raw: Record<string, unknown>,
  policyName: string,
): AmiGuardSettings | SettingsError {
  let key: string | undefined;
  try {
    key = `${policyName}\u0000${JSON.stringify(raw)}`;
  } catch {
    key = undefined; // not JSON (a test's own object): resolved each time
  }
  const known = key === undefined ? undefined : settingsCache.get(key);
  if (known) return known;
  let out: AmiGuardSettings | SettingsError;
  try {
    out = resolveSettings(raw, policyName);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    out = e;
  }
  if (key !== undefined) {
    if (settingsCache.size >= 256) settingsCache.clear();
    settingsCache.set(key, out);
  }
  return out;
}

function makeView(args: ResourceValidationArgs, policyName: string): ResourceView {
  const { props, region, now } = resourceOf(args);
  // The runtime's options are plain data (@pulumi/policy server.js getResourceOptions); only their list of
  // ignored properties is read here.
  const ignoreChanges = (args.opts as { ignoreChanges?: unknown } | undefined)?.ignoreChanges;
  const ignore = Array.isArray(ignoreChanges)
    ? ignoreChanges.filter((x): x is string => typeof x === "string" && !isUnknown(x))
    : [];
  return {
    type: args.type,
    name: args.name,
    urn: args.urn,
    props,
    region,
    ignoreChanges: ignore,
    settings: settingsOf(args.getConfig<Record<string, unknown>>(), policyName),
    now,
  };
}

/** `aws:ec2/instance:Instance` → `aws.ec2.Instance`, as people write it. */
export function shortType(type: string): string {
  const m = /^([a-z0-9-]+):([a-zA-Z0-9]+)\/[a-zA-Z0-9]+:([A-Za-z0-9]+)$/.exec(type);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : type;
}

/** One AMI use with what could be learned about it. */
export type UseOutcome =
  | { kind: "facts"; use: AmiUse; facts: AmiFacts; region: string }
  | { kind: "unknown"; use: AmiUse }
  | { kind: "not-ami"; use: AmiUse; ref: string }
  | { kind: "missing"; use: AmiUse; region: string; finding: Finding }
  | { kind: "failed"; use: AmiUse; region: string; cause: string };

/**
 * Looks up every AMI the resource uses for `purposes`, concurrently (the source batches and de-duplicates).
 * AMIs named through a `resolve:ssm:` parameter or a launch template referenced by id or name are resolved
 * first (references.ts); the outcome's use then carries the AMI id and a path naming the reference.
 */
export function lookUpUses(
  view: ResourceView,
  purposes: readonly AmiPurpose[],
): Promise<readonly UseOutcome[]> {
  // Memoised per resource (its shared inputs, see resourceOf): the policies of one Analyze share one reading of
  // the resource's AMI uses and one outcome per use, whatever purposes each asks for, and policies asking for
  // the same purposes share one answer.
  let byResource = lookedUp.get(view.props);
  if (!byResource) lookedUp.set(view.props, (byResource = new Map()));
  const key = `${view.type}\u0000${String(view.region)}`;
  let memo = byResource.get(key);
  if (!memo) {
    let uses: AmiUse[];
    try {
      uses = [...amiUses(view.type, view.props), ...templateUses(view.type, view.props)];
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    memo = { uses, outcomes: new Map(), answers: new Map() };
    byResource.set(key, memo);
  }
  const purposesKey = purposes.join(",");
  let answer = memo.answers.get(purposesKey);
  if (!answer) {
    const { uses, outcomes } = memo;
    const wanted: Promise<UseOutcome | undefined>[] = [];
    for (const use of uses) {
      if (!purposes.includes(use.purpose)) continue;
      let outcome = outcomes.get(use);
      if (!outcome) outcomes.set(use, (outcome = outcomeOf(use, view.region)));
      wanted.push(outcome);
    }
    answer = Promise.all(wanted).then((all) =>
      Object.freeze(all.filter((o): o is UseOutcome => o !== undefined)),
    );
    memo.answers.set(purposesKey, answer);
  }
  return answer;
}

/** One resource's AMI uses (every purpose), and the outcome of each use looked up so far. */
interface UsesMemo {
  uses: AmiUse[];
  outcomes: Map<AmiUse, Promise<UseOutcome | undefined>>;
  /** The answer for each list of purposes asked (as given). */
  answers: Map<string, Promise<readonly UseOutcome[]>>;
}

const lookedUp = new WeakMap<object, Map<string, UsesMemo>>();

/** What could be learned about one AMI use; undefined when a reference names no AMI (nothing to judge). */
async function outcomeOf(
  written: AmiUse,
  viewRegion: string | Unknown | undefined,
): Promise<UseOutcome | undefined> {
  let use = written;
  if (use.imageId === UNKNOWN) return { kind: "unknown", use };
  const reference = isReference(use);
  if (!reference && !(use.imageId as string).startsWith("ami-"))
    return { kind: "not-ami", use, ref: use.imageId as string };
  let region = use.region ?? viewRegion;
  if (region === UNKNOWN) return { kind: "unknown", use };
  if (region === undefined) {
    return {
      kind: "failed",
      use,
      region: "no region",
      cause: "no region is set on the resource, its provider, the stack (aws:region) or AWS_REGION",
    };
  }
  if (reference) {
    const r = await resolveReference(use, region as string, referenceSources());
    if (r.kind === "none") return undefined;
    if (r.kind !== "ami") return r;
    use = r.use;
    if (!(use.imageId as string).startsWith("ami-"))
      return { kind: "not-ami", use, ref: use.imageId as string };
    region = use.region ?? viewRegion;
  }
  const id = use.imageId as string;
  const src = amiSource();
  if (typeof src === "string") return { kind: "failed", use, region: region as string, cause: src };
  const r = await src.lookup(id, region as string);
  if (r.kind === "found") return { kind: "facts", use, facts: r.facts, region: region as string };
  if (r.kind === "not-found")
    return {
      kind: "missing",
      use,
      region: r.region,
      finding: reference
        ? {
            ...judgeMissing(id, r.region),
            message: `${judgeMissing(id, r.region).message.replace(/\.$/, "")} (named by ${use.path}).`,
          }
        : judgeMissing(id, r.region),
    };
  return { kind: "failed", use, region: r.region, cause: r.cause };
}

/**
 * The common shape of a facts policy: judge each used AMI's facts with `judge`, fail closed when facts
 * cannot be had, and leave not-found and unknown ids to the existence policy.
 */
export async function judgeUses(
  view: ResourceView,
  report: (message: string) => void,
  purposes: readonly AmiPurpose[],
  judge: (facts: AmiFacts, use: AmiUse) => Finding[],
  what: string,
): Promise<void> {
  for (const o of await lookUpUses(view, purposes)) {
    if (o.kind === "facts") {
      for (const f of judge(o.facts, o.use)) report(`${f.message} (${o.use.path}) Fix: ${f.fix}`);
    } else if (o.kind === "failed") {
      report(failedClosed(what, o));
    }
  }
}

/** The fail-closed message for facts that could not be had: the AMI, where it was used, region and cause. */
export function failedClosed(what: string, o: { use: AmiUse; region: string; cause: string }): string {
  const id = String(o.use.imageId);
  const image = id.startsWith("ami-") ? `AMI ${id}` : `the AMI of ${id}`;
  return `cannot verify ${what} of ${image} (${o.use.path}) in ${o.region}: ${o.cause}. Failing closed: fix the credentials or endpoint, or supply facts with AMI_GUARD_INVENTORY.`;
}
