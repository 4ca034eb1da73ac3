import { judgeUses, resourcePolicy, snapshotOwner } from "../runtime/policy";
import { RULES, judgeTrust } from "../rules/rules";
import {
  TYPES,
  USERS,
  imageBuilderArnOwner,
  managedImages,
  sourceSnapshots,
  typesWith,
} from "../rules/resources";
import { UNKNOWN, list, rec, str, strList, type Unknown } from "../rules/values";

/** Practice 1: only AMIs from trusted owners and providers, never community images. */
export const ec2AmiDisallowUntrustedOwner = resourcePolicy({
  rule: RULES.untrusted,
  types: [...USERS, ...typesWith("aws-managed", "snapshot"), TYPES.allowedImages],
  scansUnlisted: true,
  async validate(view, report) {
    const trusted = view.settings.trustedOwners;
    if (view.type === TYPES.allowedImages) {
      const state = str(view.props.state);
      if (state === "disabled") {
        report(
          'EC2 Allowed AMIs settings are "disabled", so any AMI may be launched. Fix: set state to "enabled" (or "audit-mode" while you tune the criteria).',
        );
      }
      const criteria = list(view.props.imageCriterions);
      if (criteria === UNKNOWN) return;
      criteria.forEach((c, i) => {
        if (c === UNKNOWN) return;
        const providers = strList(rec(c).imageProviders);
        if (providers === UNKNOWN) return;
        if (providers.length === 0) {
          // EC2: a criterion without imageProviders matches images of every provider.
          report(
            `Allowed AMIs criterion imageCriterions[${i}] sets no imageProviders, so it allows images of every provider (including community images). Fix: set imageProviders to trusted owners (${trusted.join(", ")}).`,
          );
          return;
        }
        const untrusted = providers.filter(
          (p) => !trusted.includes(p) && !(p === "amazon" && trusted.includes("amazon")),
        );
        if (untrusted.length > 0) {
          report(
            `Allowed AMIs criterion imageCriterions[${i}] allows image providers that are not trusted owners: ${untrusted.join(", ")}. Fix: limit imageProviders to trustedOwners (${trusted.join(", ")}).`,
          );
        }
      });
      return;
    }
    if (view.type === TYPES.ami) {
      await judgeSnapshots(view.props, view.region, trusted, report);
      return;
    }
    // Images AWS picks by name (EKS AMI types, Cloud9 aliases) are amazon's.
    if (!trusted.includes("amazon")) {
      for (const m of managedImages(view.type, view.props)) {
        report(
          `${m.path} "${m.name}" launches an AWS-managed image owned by amazon, which is not a trusted owner (${trusted.join(", ")}). Fix: use a custom AMI of a trusted owner through a launch template, or add amazon to trustedOwners.`,
        );
      }
    }
    if (view.type === TYPES.imageRecipe || view.type === TYPES.nativeImageRecipe) {
      const parent = str(view.props.parentImage);
      if (typeof parent === "string" && parent.startsWith("arn:")) {
        const owner = imageBuilderArnOwner(parent);
        const ok =
          owner === "aws" ? trusted.includes("amazon") : owner !== undefined && trusted.includes(owner);
        if (!ok) {
          report(
            `parent image ${parent} is owned by ${owner ?? "an unrecognised owner"}, which is not a trusted owner (${trusted.join(", ")}). Fix: build on an AWS-managed or trusted account's image, or add the owner to trustedOwners after review.`,
          );
        }
        return;
      }
    }
    await judgeUses(
      view,
      report,
      ["deploy", "source"],
      (facts) => judgeTrust(facts, view.settings),
      "the owner",
    );
  },
});

/** An image registered from snapshots is as trustworthy as the snapshots' owner. */
async function judgeSnapshots(
  props: Record<string, unknown>,
  region: string | Unknown | undefined,
  trusted: readonly string[],
  report: (message: string) => void,
): Promise<void> {
  for (const snap of sourceSnapshots(TYPES.ami, props)) {
    if (snap.snapshotId === UNKNOWN) continue; // made in the stack or known at update: judged then
    const id = snap.snapshotId;
    if (region === UNKNOWN) continue;
    if (region === undefined) {
      report(
        `cannot verify the owner of snapshot ${id} (${snap.path}): no region is set on the resource, its provider, the stack (aws:region) or AWS_REGION. Failing closed.`,
      );
      continue;
    }
    const r = await snapshotOwner(id, region);
    if (r.kind === "found" && r.ownerId !== undefined && trusted.includes(r.ownerId)) continue;
    if (r.kind === "found") {
      report(
        `registers an AMI from snapshot ${id} (${snap.path}) owned by ${r.ownerId ?? "an unreported owner"}, which is not a trusted owner (${trusted.join(", ")}). Fix: copy the snapshot into a trusted account, encrypted with your key, and register the image from the copy.`,
      );
    } else if (r.kind === "not-found") {
      report(
        `registers an AMI from snapshot ${id} (${snap.path}), which was not found in ${region}: deleted, mistyped, in another region or not shared with this account. Fix: register from a snapshot of a trusted account in this region.`,
      );
    } else {
      report(
        `cannot verify the owner of snapshot ${id} (${snap.path}) in ${region}: ${r.cause}. Failing closed: fix the credentials or endpoint, or list the snapshot in AMI_GUARD_INVENTORY's "Snapshots".`,
      );
    }
  }
}
