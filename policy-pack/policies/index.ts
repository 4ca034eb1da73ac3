import type { Policy } from "@pulumi/policy";
import { ec2AmiDisallowUntrustedOwner } from "./ec2-ami-disallow-untrusted-owner";
import { ec2AmiRequireEncryption } from "./ec2-ami-require-encryption";
import { ec2AmiRequireTags } from "./ec2-ami-require-tags";
import { ec2AmiDisallowPublicSharing } from "./ec2-ami-disallow-public-sharing";
import { ec2AmiDisallowStaleImage } from "./ec2-ami-disallow-stale-image";
import { ec2AmiDisallowMissingImage } from "./ec2-ami-disallow-missing-image";
import { ec2AmiDisallowIgnoreChanges } from "./ec2-ami-disallow-ignore-changes";
import { ec2AmiRequireTraceableImage } from "./ec2-ami-require-traceable-image";

/** Every policy of the pack, in the order they report. */
export const policies: Policy[] = [
  ec2AmiDisallowUntrustedOwner,
  ec2AmiRequireEncryption,
  ec2AmiRequireTags,
  ec2AmiDisallowPublicSharing,
  ec2AmiDisallowStaleImage,
  ec2AmiDisallowMissingImage,
  ec2AmiDisallowIgnoreChanges,
  ec2AmiRequireTraceableImage,
];
