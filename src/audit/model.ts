/**
 * The audit's scan model: what a scan of one account's region produces (owned images, images in use and who
 * uses them, guardrail settings, SSM parameters, owners' views), the failed reads, and the findings and report
 * the judging makes of it. Types only: the AWS reads (aws.ts, scope.ts, owners.ts, parameters.ts) fill it, the
 * pure judging (judge.ts) and the report forms (report.ts, asff.ts) read it.
 */
import type { LaunchPermission } from "ami-guard-policies/rules/facts";
import type { RegionGuardrails } from "ami-guard-policies/rules/guardrails";
import type { OwnerView } from "ami-guard-policies/aws/owner";
import type { ParameterValue } from "ami-guard-policies/aws/ssm";
import type { Severity } from "ami-guard-policies/rules/catalogue";

/** One image as DescribeImages returns it (SDK or CLI JSON: PascalCase keys). */
export type RawImage = Record<string, unknown> & { ImageId?: string };

/** A resource that launches (or will launch) an image. */
export interface ImageUse {
  imageId: string;
  /** e.g. `i-0abc` or `lt-0abc (web, version 3)`. */
  resource: string;
  kind: "instance" | "launch-template" | "fleet";
}

export interface OwnedImage {
  image: RawImage;
  /** From DescribeImageAttribute; undefined when they could not be read (an audit error says why). */
  launchPermissions?: LaunchPermission[];
  /** Why the launch permissions could not be read, when they could not (the sharing rule fails closed). */
  launchPermissionsError?: string;
}

/** What the audit read in one region of one account. */
export interface RegionScan {
  account: string;
  region: string;
  owned: OwnedImage[];
  /** Images in use that the account does not own (or owns but were not listed): raw, not found, or unreadable. */
  used: Map<string, RawImage | "not-found" | "error">;
  uses: ImageUse[];
  guardrails: RegionGuardrails;
  /** SSM parameters read to resolve launch template images (`resolve:ssm:`), for the exported inventory. */
  parameters?: ParameterValue[];
  /** Owners' views of in-use images owned by other accounts (see owners.ts), by `${roleArn} ${imageId}`. */
  ownerViews?: Map<string, OwnerView>;
}

export interface AuditFinding {
  account: string;
  region: string;
  /** The AMI, for image findings; undefined for account guardrail findings. */
  imageId?: string;
  /** The AMI id, or `account` for guardrail findings. */
  resource: string;
  rule: string;
  severity: Severity;
  message: string;
  fix: string;
  /** The resources that still use the image, when it is in use. */
  usedBy?: string[];
  /** The image's owner (account id, or AWS alias), for image findings: the report groups by it. */
  owner?: string;
}

/** A failed read: what, where and why. The audit is incomplete when there is any. */
export interface StepError {
  account?: string;
  region?: string;
  step: string;
  cause: string;
}

/** In-use images by owner account (or AWS alias): the organisation view of the report. */
export interface OwnerSummary {
  /** Distinct images in use (per account and region) that this owner owns. */
  imagesInUse: number;
  /** Image findings about them. */
  findings: number;
  /** True when their tags and launch permissions were read as the owner sees them (ownerReadRoles). */
  ownerView: boolean;
}

export interface AuditSummary {
  complete: boolean;
  generatedAt: string;
  accounts: string[];
  regions: string[];
  imagesScanned: number;
  imagesInUse: number;
  instancesScanned: number;
  launchTemplateVersionsScanned: number;
  findings: number;
  bySeverity: Record<Severity, number>;
  failOn: Severity;
  /** Findings at or above failOn. */
  failing: number;
  config: string;
  /** In-use images grouped by owner account (absent when the audit read nothing). */
  byOwner?: Record<string, OwnerSummary>;
  apiCalls: Record<string, number>;
  errors: StepError[];
}

export interface AuditReport {
  findings: AuditFinding[];
  summary: AuditSummary;
  /** Owned images (with LaunchPermissions where read) and in-use images, in describe-images shape. */
  inventory: RawImage[];
  /** SSM parameters read to resolve launch template images, in get-parameters shape (the inventory's `Parameters`). */
  parameters?: ParameterValue[];
}
