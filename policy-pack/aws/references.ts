/**
 * AMIs that are not written as ids: `resolve:ssm:` parameter references and launch templates referenced by id
 * or name. Each is resolved to the AMI it names (SSM GetParameters, EC2 DescribeLaunchTemplateVersions, or an
 * inventory file's `Parameters` / `LaunchTemplateVersions`), and the AMI then goes through the same look-up and
 * rules as an id written in place; the property path keeps the chain so every message names both the
 * reference and the image. What cannot be resolved fails closed naming the reference and the cause.
 */
import { finding } from "../rules/catalogue";
import { processBudget } from "./budget";
import { readInventoryDocument } from "./lookup";
import {
  Ec2TemplateSource,
  InventoryTemplateSource,
  describeTemplate,
  launchTemplateReferences,
  templateVersionsOfInventory,
  type TemplateRef,
  type TemplateSource,
} from "./launch-templates";
import { AMI_ID, type AmiUse } from "../rules/resources";
import { RULES, type Finding } from "../rules/rules";
import {
  InventoryParameterSource,
  SsmSource,
  describeRef,
  isParameterReference,
  parametersOfInventory,
  parseParameterReference,
  type ParameterSource,
} from "./ssm";
import { UNKNOWN } from "../rules/values";

export interface ReferenceSources {
  parameters: ParameterSource;
  templates: TemplateSource;
}

/**
 * Reads the references an inventory file carries beside its `Images`: `Parameters` (as
 * `aws ssm get-parameters --output json` prints them) and `LaunchTemplateVersions` (as
 * `aws ec2 describe-launch-template-versions --output json` prints them). Both are optional.
 * Throws InventoryError naming the file when it cannot be read or either list is malformed.
 */
export function readReferenceInventory(file: string): ReferenceSources {
  const doc = readInventoryDocument(file);
  return {
    parameters: new InventoryParameterSource(parametersOfInventory(doc, file), file),
    templates: new InventoryTemplateSource(templateVersionsOfInventory(doc, file), file),
  };
}

/** The inventory's references (AMI_GUARD_INVENTORY), else SSM and EC2 through the SDK. */
export function referenceSourcesFromEnvironment(
  inventoryFile = process.env.AMI_GUARD_INVENTORY,
): ReferenceSources {
  return inventoryFile
    ? readReferenceInventory(inventoryFile)
    : {
        parameters: new SsmSource({ budget: processBudget() }),
        templates: new Ec2TemplateSource({ budget: processBudget() }),
      };
}

let sources: ReferenceSources | undefined;
let sourcesError: string | undefined;

/** The process-wide reference sources, made once (a message when they cannot be made). */
export function referenceSources(): ReferenceSources | string {
  if (!sources && !sourcesError) {
    try {
      sources = referenceSourcesFromEnvironment();
    } catch (e) {
      sourcesError = (e as Error).message;
    }
  }
  return sources ?? (sourcesError as string);
}

/** Replaces the process-wide reference sources (tests); undefined makes them from the environment again. */
export function setReferenceSources(s: ReferenceSources | undefined): void {
  sources = s;
  sourcesError = undefined;
}

/** A launch template reference in the shape of an AMI use. */
export interface TemplateUse extends AmiUse {
  template: TemplateRef;
}

function isTemplateUse(use: AmiUse): use is TemplateUse {
  return (use as Partial<TemplateUse>).template !== undefined;
}

/** The launch templates a resource launches from (see launch-templates.ts), as AMI uses to resolve. */
export function templateUses(type: string, props: Record<string, unknown>): AmiUse[] {
  return launchTemplateReferences(type, props).map((r): AmiUse =>
    r.template === UNKNOWN
      ? { imageId: UNKNOWN, path: r.path, purpose: "deploy" }
      : ({
          imageId: describeTemplate(r.template),
          path: r.path,
          purpose: "deploy",
          template: r.template,
        } as TemplateUse),
  );
}

/** Image Builder's notation for a recipe's parent image in SSM: `ssm:<name or ARN>` (no `resolve:`). */
const IMAGE_BUILDER_SSM = "ssm:";

function parameterText(use: AmiUse): string | undefined {
  if (typeof use.imageId !== "string") return undefined;
  if (isParameterReference(use.imageId)) return use.imageId;
  if (use.path === "parentImage" && use.imageId.startsWith(IMAGE_BUILDER_SSM))
    return `resolve:${use.imageId}`;
  return undefined;
}

/** True when the use names its AMI through a reference this module resolves. */
export function isReference(use: AmiUse): boolean {
  return isTemplateUse(use) || parameterText(use) !== undefined;
}

/** What a reference resolved to. */
export type Resolution =
  | { kind: "ami"; use: AmiUse }
  | { kind: "none"; use: AmiUse }
  | { kind: "unknown"; use: AmiUse }
  | { kind: "missing"; use: AmiUse; region: string; finding: Finding }
  | { kind: "failed"; use: AmiUse; region: string; cause: string };

function missing(use: AmiUse, region: string, message: string, fix: string): Resolution {
  return {
    kind: "missing",
    use,
    region,
    finding: finding({ rule: RULES.missing, kind: "notFound", message, fix }),
  };
}

/**
 * Resolves a reference use (see isReference) in `region` to the AMI it names: the returned use carries the
 * AMI id and a path that names the chain (`launchTemplate → launch template lt-… (version 3) → SSM
 * parameter /golden/web version 4`). Never rejects.
 */
export async function resolveReference(
  use: AmiUse,
  region: string,
  src: ReferenceSources | string,
): Promise<Resolution> {
  if (typeof src === "string") return { kind: "failed", use, region, cause: src };
  if (isTemplateUse(use)) return resolveTemplate(use, region, src);
  return resolveParameter(use, parameterText(use) ?? String(use.imageId), use.path, region, src);
}

async function resolveTemplate(use: TemplateUse, region: string, src: ReferenceSources): Promise<Resolution> {
  const t = use.template;
  const r = await src.templates.version(t, region);
  if (r.kind === "not-found") {
    return missing(
      use,
      r.region,
      `${describeTemplate(t)} does not exist in ${r.region} (${r.cause}).`,
      "Reference an existing launch template and version, or make the template in this stack.",
    );
  }
  if (r.kind === "error") {
    return {
      kind: "failed",
      use,
      region: r.region || region,
      cause: `cannot read ${describeTemplate(t)}: ${r.cause}`,
    };
  }
  if (r.imageId === undefined) return { kind: "none", use };
  const number =
    r.versionNumber !== undefined && String(r.versionNumber) !== t.version ? ` = ${r.versionNumber}` : "";
  const name = t.id !== undefined && r.templateName ? `, ${r.templateName}` : "";
  const via = `${use.path} → ${describeTemplate(t).replace(/\)$/, `${number}${name})`)}`;
  if (isParameterReference(r.imageId)) return resolveParameter(use, r.imageId, via, region, src);
  return { kind: "ami", use: { imageId: r.imageId, path: via, purpose: use.purpose, region: use.region } };
}

async function resolveParameter(
  use: AmiUse,
  text: string,
  via: string,
  region: string,
  src: ReferenceSources,
): Promise<Resolution> {
  const ref = parseParameterReference(text);
  if (ref === undefined || "error" in ref) {
    return {
      kind: "failed",
      use,
      region,
      cause: ref?.error ?? `"${text}" is not an SSM parameter reference`,
    };
  }
  const r = await src.parameters.resolve(ref, region);
  const where = r.kind === "found" ? (ref.region ?? region) : r.region || region;
  const named = `SSM parameter ${describeRef(ref)}`;
  if (r.kind === "not-found") {
    return missing(
      use,
      where,
      `${named} (${via}) does not exist in ${where}, or is not visible to these credentials.`,
      "Correct the parameter name, version or label, or publish the approved AMI id in it (aws ssm put-parameter --data-type aws:ec2:image …).",
    );
  }
  if (r.kind === "error")
    return { kind: "failed", use, region: where, cause: `cannot read ${named}: ${r.cause}` };
  const value = r.parameter.Value.trim();
  if (!AMI_ID.test(value)) {
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    return {
      kind: "failed",
      use,
      region: where,
      cause: `${named} holds "${shown}", which is not an AMI id`,
    };
  }
  const version = r.parameter.Version !== undefined ? ` version ${r.parameter.Version}` : "";
  return {
    kind: "ami",
    use: {
      imageId: value,
      path: `${via} → ${named.replace(/ \((version|label) [^)]*\)$/, "")}${version}${ref.selector && !/^:[0-9]+$/.test(ref.selector) ? ` (label ${ref.selector.slice(1)})` : ""}`,
      purpose: use.purpose,
      region: use.region,
    },
  };
}
