/**
 * The auditor's settings, from the environment the AmiAuditor component fills in from the stack. A bad value
 * never stops the function (that would be a crash loop that audits nothing): it is reported as a problem, and
 * the safe choice is made instead — the pack's defaults, the function's own region, remediation off.
 */
import { parseConfig, type AuditConfig } from "../audit/config";
import { REGION } from "ami-guard-policies/rules/patterns";

export interface AuditorEnv {
  config: AuditConfig;
  regions: string[];
  remediate: boolean;
  topicArn?: string;
  /** What was wrong with the environment (each becomes a finding). */
  problems: string[];
}

const TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[\w-]{1,256}$/;

export function readAuditorEnv(env: NodeJS.ProcessEnv): AuditorEnv {
  const problems: string[] = [];
  let config = parseConfig({}, "the pack's defaults");
  const text = env.AMI_GUARD_POLICY_CONFIG;
  if (text !== undefined && text.trim() !== "") {
    try {
      config = parseConfig(JSON.parse(text), "AMI_GUARD_POLICY_CONFIG");
    } catch (e) {
      const why = e instanceof SyntaxError ? `is not valid JSON (${e.message})` : (e as Error).message;
      problems.push(why.startsWith("AMI_GUARD_POLICY_CONFIG") ? why : `AMI_GUARD_POLICY_CONFIG ${why}`);
    }
  }

  const home = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const listed = (env.AMI_GUARD_REGIONS ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = listed.filter((r) => !REGION.test(r));
  if (bad.length > 0)
    problems.push(`AMI_GUARD_REGIONS has ${bad.map((b) => JSON.stringify(b)).join(", ")}, not region names`);
  let regions = [...new Set(listed.filter((r) => REGION.test(r)))];
  if (regions.length === 0 && home) regions = [home];

  const flag = (env.AMI_GUARD_REMEDIATE ?? "false").trim().toLowerCase();
  if (flag !== "true" && flag !== "false")
    problems.push(
      `AMI_GUARD_REMEDIATE must be true or false, not ${JSON.stringify(env.AMI_GUARD_REMEDIATE)} (remediation stays off)`,
    );

  const topic = env.AMI_GUARD_ALARM_TOPIC_ARN?.trim();
  if (topic && !TOPIC.test(topic))
    problems.push(`AMI_GUARD_ALARM_TOPIC_ARN ${JSON.stringify(topic)} is not an SNS topic ARN`);

  return {
    config,
    regions,
    remediate: flag === "true",
    topicArn: topic && TOPIC.test(topic) ? topic : undefined,
    problems,
  };
}
