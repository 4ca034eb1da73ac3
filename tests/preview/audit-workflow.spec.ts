/**
 * The scheduled audit workflow (.github/workflows/audit.yml): valid YAML; a cron schedule; one job per
 * environment that gets credentials through OIDC, runs `ami-guard audit --format sarif` with the stack's
 * settings, and uploads the SARIF to code scanning even when there are findings.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { REPO } from "../helpers/engine";

interface Step {
  id?: string;
  if?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix: { include?: { stack: string; role: string; auditor: string }[] } };
  steps: Step[];
}

const FILE = path.join(REPO, ".github", "workflows", "audit.yml");
const STACKS = fs
  .readdirSync(path.join(REPO, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => !!s)
  .sort();

describe("GitHub Actions: scheduled audit workflow", () => {
  const doc = parseDocument(fs.readFileSync(FILE, "utf8"));
  const wf = doc.toJS() as {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
    permissions: Record<string, string>;
  };
  const job = wf.jobs.audit;

  it("is valid YAML with read-only default permissions", () => {
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
    assert.deepEqual(wf.permissions, { contents: "read" });
  });

  it("runs on a cron schedule (and by hand)", () => {
    const schedule = wf.on.schedule as { cron: string }[];
    assert.equal(schedule.length, 1);
    assert.match(schedule[0].cron, /^([0-9*,/-]+ ){4}[0-9*,/-]+$/);
    assert.ok("workflow_dispatch" in wf.on);
    assert.ok(!("pull_request" in wf.on), "not on pull requests: it reads the accounts");
  });

  it("audits every environment with its own OIDC role and auditor role", () => {
    const include = job.strategy!.matrix.include!;
    assert.deepEqual(include.map((i) => i.stack).sort(), STACKS);
    for (const i of include) {
      assert.equal(i.role, `AWS_ROLE_ARN_${i.stack.toUpperCase()}`);
      assert.equal(i.auditor, `AMI_GUARD_AUDITOR_ROLE_ARN_${i.stack.toUpperCase()}`);
    }
    assert.deepEqual(job.permissions, { contents: "read", "id-token": "write", "security-events": "write" });
    const creds = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    assert.ok(creds, "OIDC credentials");
    assert.equal(creds.with!["role-to-assume"], "${{ vars[matrix.role] }}");
    assert.ok(!JSON.stringify(job).includes("secrets."), "no long-lived secret");
  });

  it("runs ami-guard audit --format sarif with the stack's pack settings, after the credentials", () => {
    const names = job.steps.map((s) => s.uses ?? s.run ?? "");
    const config = job.steps.findIndex((s) =>
      s.run?.includes("pack-config --stack ${{ matrix.stack }} --output policy-pack-config.json"),
    );
    const creds = names.findIndex((n) => n.startsWith("aws-actions/configure-aws-credentials@"));
    const audit = job.steps.findIndex((s) => s.id === "audit");
    assert.ok(config >= 0 && creds > config && audit > creds, "config, then credentials, then the audit");
    const run = job.steps[audit].run!;
    assert.match(run, /ami-guard\.js audit --format sarif --config policy-pack-config\.json/);
    assert.match(run, /--role-arn "\$AUDITOR_ROLE_ARN"/);
    assert.match(run, /> ami-guard-audit\.sarif/);
    assert.match(run, /echo "exit=\$\?" >> "\$GITHUB_OUTPUT"/);
    assert.equal(job.steps[audit].env!.AUDITOR_ROLE_ARN, "${{ vars[matrix.auditor] }}");
  });

  it("uploads the SARIF to code scanning, findings or not, and fails only on an incomplete audit", () => {
    const upload = job.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    assert.ok(upload);
    assert.match(upload.if!, /^always\(\)/);
    assert.equal(upload.with!.sarif_file, "ami-guard-audit.sarif");
    assert.equal(upload.with!.category, "ami-guard-audit-${{ matrix.stack }}");
    const last = job.steps.at(-1)!;
    assert.equal(last.if, "steps.audit.outputs.exit == '2'");
    assert.match(last.run!, /exit 1/);
  });
});
