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
import { judgeMissing, type Finding, type Severity } from "../rules/rules";
import { resolveSettings, SettingsError, type AmiGuardSettings } from "../rules/settings";
import {
  TYPES,
  amiUses,
  isUnlisted,
  resolveRegion,
  scannedUses,
  type AmiPurpose,
  type AmiUse,
} from "../rules/resources";
import { UNKNOWN, plain, rec, type Unknown } from "../rules/values";
import { TEMPLATE_REFERRERS } from "../aws/launch-templates";
import { isReference, referenceSources, resolveReference, templateUses } from "../aws/references";
import { installWireCompatibility } from "./wire";

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
  name: string;
  /** A short title for the Pulumi Cloud console. */
  displayName: string;
  description: string;
  severity: Severity;
  /** The practices the policy enforces, e.g. `practice-1-trusted-amis`. */
  tags: string[];
  remediationSteps: string;
  configSchema: PolicyConfigSchema;
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

/** The process-wide AMI source (inventory or EC2), made once. */
export function amiSource(): AmiSource | string {
  if (!source && !sourceError) {
    try {
      source = sourceFromEnvironment();
    } catch (e) {
      sourceError = (e as Error).message;
    }
  }
  return source ?? (sourceError as string);
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
};
const UnknownValueError = proxyModule.UnknownValueError;

/** Thrown to make the runtime report "checked at update" as an advisory diagnostic, as it does for unknowns. */
export class CheckedAtUpdate extends UnknownValueError {
  constructor(message: string, path: string) {
    super(proxyModule.unknownStringValue, [path]);
    this.message = message;
  }
}

/** Builds a ResourceValidationPolicy from a definition, wrapping it so that it never throws. */
export function resourcePolicy(def: PolicyDefinition): ResourceValidationPolicy {
  // A policy that judges what launchers launch also judges the types that launch from a launch template.
  const types = new Set(
    def.types.includes(TYPES.instance) ? [...def.types, ...TEMPLATE_REFERRERS] : def.types,
  );
  return {
    name: def.name,
    displayName: def.displayName,
    description: def.description,
    severity: def.severity,
    tags: def.tags,
    remediationSteps: def.remediationSteps,
    enforcementLevel: "mandatory",
    configSchema: def.configSchema,
    validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
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
        view = makeView(args, def.name);
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
    return scannedUses(rec(plain(args.props))).length > 0;
  } catch {
    return true; // unreadable inputs: judge them (fail closed)
  }
}

function makeView(args: ResourceValidationArgs, policyName: string): ResourceView {
  const props = rec(plain(args.props));
  const provider = args.provider ? rec(plain(args.provider.props)) : undefined;
  const opts = rec(plain(args.opts));
  const ignore = Array.isArray(opts.ignoreChanges)
    ? opts.ignoreChanges.filter((x): x is string => typeof x === "string")
    : [];
  return {
    type: args.type,
    name: args.name,
    urn: args.urn,
    props,
    region: resolveRegion(props, provider),
    ignoreChanges: ignore,
    settings: resolveSettings(args.getConfig<Record<string, unknown>>(), policyName),
    now: clock(),
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
export async function lookUpUses(view: ResourceView, purposes: readonly AmiPurpose[]): Promise<UseOutcome[]> {
  const uses = [...amiUses(view.type, view.props), ...templateUses(view.type, view.props)].filter((u) =>
    purposes.includes(u.purpose),
  );
  const src = amiSource();
  const outcomes = await Promise.all(
    uses.map(async (written): Promise<UseOutcome | undefined> => {
      let use = written;
      if (use.imageId === UNKNOWN) return { kind: "unknown", use };
      const reference = isReference(use);
      if (!reference && !(use.imageId as string).startsWith("ami-"))
        return { kind: "not-ami", use, ref: use.imageId as string };
      let region = use.region ?? view.region;
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
        region = use.region ?? view.region;
      }
      const id = use.imageId as string;
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
    }),
  );
  return outcomes.filter((o): o is UseOutcome => o !== undefined);
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
