/**
 * A thin wrapper over @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency used only by these tests).
 * A simulation that the library rejects (unknown action, bad ARN, malformed policy) throws, so a matrix row
 * can never pass by accident.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../components/iam";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface Request {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account owning the resource. */
  readonly resourceAccount: string;
  readonly context?: Record<string, string | string[]>;
  readonly identity?: PolicyDocument[];
  readonly boundary?: PolicyDocument;
  readonly resourcePolicy?: PolicyDocument;
  readonly scps?: PolicyDocument[];
}

const FULL_ACCESS: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "FullAWSAccess", Effect: "Allow", Action: "*", Resource: "*" }],
};

export async function decide(r: Request): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: r.principal,
        action: r.action,
        resource: { resource: r.resource, accountId: r.resourceAccount },
        contextVariables: { ...(r.context ?? {}) },
      },
      identityPolicies: (r.identity ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
      permissionBoundaryPolicies: r.boundary ? [{ name: "boundary", policy: r.boundary }] : undefined,
      resourcePolicy: r.resourcePolicy,
      serviceControlPolicies: r.scps
        ? [
            {
              orgIdentifier: "r-ab12",
              policies: [FULL_ACCESS, ...r.scps].map((policy, i) => ({ name: `scp-${i}`, policy })),
            },
          ]
        : [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`simulation rejected ${r.action} on ${r.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
