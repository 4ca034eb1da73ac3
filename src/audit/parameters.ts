/**
 * Launch template versions whose image is a `resolve:ssm:` reference (EC2 left it unresolved): resolved with the
 * pack's SSM resolver (policy-pack/aws/ssm.ts: GetParameters batched ten names a call, each parameter once),
 * every call counted as the audit's own, and judged like any image in use. A parameter that does not exist,
 * cannot be read or does not hold an AMI id makes the audit partial, naming the template, the parameter and
 * the cause: it is never dropped while the audit says "complete".
 */
import { AMI_ID } from "ami-guard-policies/rules/resources";
import {
  SsmSource,
  describeRef,
  isParameterReference,
  parseParameterReference,
  type ParameterValue,
} from "ami-guard-policies/aws/ssm";
import type { AccountClients, Calls } from "./aws";
import type { ImageUse } from "./model";

export interface ResolvedUses {
  /** The uses with every `resolve:ssm:` image replaced by the AMI it names; unresolvable ones left out. */
  uses: ImageUse[];
  /** The parameter values read, for the exported inventory (`Parameters`). */
  parameters: ParameterValue[];
}

/** Resolves the `resolve:ssm:` images among `uses` in one region of one account; failures go to `calls.errors`. */
export async function resolveParameterUses(
  calls: Calls,
  clients: AccountClients,
  account: string,
  region: string,
  uses: readonly ImageUse[],
): Promise<ResolvedUses> {
  const refs = uses.filter((u) => isParameterReference(u.imageId));
  if (refs.length === 0) return { uses: [...uses], parameters: [] };
  const src = new SsmSource({
    clientFor: (r) => ({
      send: (command) => calls.send(clients.ssm(r), command as { constructor: { name: string } }),
    }),
  });
  const out: ImageUse[] = uses.filter((u) => !isParameterReference(u.imageId));
  const parameters = new Map<string, ParameterValue>();
  const fail = (u: ImageUse, what: string, cause: string) =>
    calls.errors.push({
      account,
      region,
      step: `ssm:GetParameters ${what} (image of launch template ${u.resource})`,
      cause,
    });
  await Promise.all(
    refs.map(async (u) => {
      const ref = parseParameterReference(u.imageId);
      if (ref === undefined || "error" in ref) {
        fail(u, u.imageId, ref?.error ?? "not an SSM parameter reference");
        return;
      }
      const r = await src.resolve(ref, region);
      const named = describeRef(ref);
      if (r.kind === "not-found") {
        fail(u, named, `the parameter does not exist in ${r.region}, or is not visible to these credentials`);
        return;
      }
      if (r.kind === "error") {
        fail(u, named, r.cause);
        return;
      }
      const value = r.parameter.Value.trim();
      if (!AMI_ID.test(value)) {
        fail(u, named, `the parameter holds "${value.slice(0, 80)}", which is not an AMI id`);
        return;
      }
      const p = r.parameter;
      parameters.set(`${p.ARN ?? p.Name}${p.Selector ?? ""}`, {
        Name: p.Name,
        Value: p.Value,
        ...(p.Version !== undefined ? { Version: p.Version } : {}),
        ...(p.Selector ? { Selector: p.Selector } : {}),
        ...(p.ARN ? { ARN: p.ARN } : {}),
        ...(p.Type ? { Type: p.Type } : {}),
        ...(p.DataType ? { DataType: p.DataType } : {}),
      });
      const version = p.Version !== undefined ? ` version ${p.Version}` : "";
      out.push({
        imageId: value,
        resource: `${u.resource} via SSM parameter ${ref.name}${version}`,
        kind: u.kind,
      });
    }),
  );
  return { uses: out, parameters: [...parameters.values()] };
}
