/**
 * The GitHub Actions workflow: valid YAML with the expected triggers, jobs and steps (offline preview of every
 * stack on pull requests; the real `pulumi preview` / `pulumi up` with the pack where an OIDC role exists).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { REPO } from "../helpers/engine";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: { stack?: string[]; include?: { stack: string; role: string }[] } };
  steps: Step[];
}

const FILE = path.join(REPO, ".github", "workflows", "preview.yml");
const STACKS = fs
  .readdirSync(path.join(REPO, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => !!s)
  .sort();

describe("GitHub Actions workflow", () => {
  const doc = parseDocument(fs.readFileSync(FILE, "utf8"));
  const wf = doc.toJS() as {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
    permissions: Record<string, string>;
  };

  it("is valid YAML", () => {
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
  });

  it("runs on pull requests and on pushes to the default branch, with read-only default permissions", () => {
    assert.ok("pull_request" in wf.on);
    assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
    assert.deepEqual(wf.permissions, { contents: "read" });
  });

  it("previews every stack offline on every pull request, without cloud credentials", () => {
    const job = wf.jobs["offline-preview"];
    assert.equal(job.if, undefined, "runs unconditionally");
    assert.deepEqual([...job.strategy!.matrix.stack!].sort(), STACKS);
    assert.ok(job.steps.some((s) => s.run === "npm ci"));
    const preview = job.steps.find((s) => s.run?.includes("ami-guard.js preview"));
    assert.ok(preview);
    assert.match(preview.run!, /preview --stack \$\{\{ matrix\.stack \}\}$/);
    assert.ok(!JSON.stringify(job).includes("secrets."), "no secret is needed");
    assert.ok(!job.steps.some((s) => s.uses?.startsWith("aws-actions/")));
  });

  for (const [name, command] of [
    ["preview", "preview"],
    ["up", "up"],
  ] as const) {
    it(`runs pulumi ${command} --policy-pack policy-pack per environment with an OIDC role`, () => {
      const job = wf.jobs[name];
      assert.ok(job, `job ${name}`);
      assert.match(job.if!, /vars\.AWS_ROLE_ARN_DEV != ''/, "only where credentials are configured");
      assert.equal(job.needs, "offline-preview");
      assert.equal(job.permissions!["id-token"], "write");
      assert.deepEqual(job.strategy!.matrix.include!.map((i) => i.stack).sort(), STACKS);
      const creds = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      assert.ok(creds);
      assert.equal(creds.with!["role-to-assume"], "${{ vars[matrix.role] }}");
      const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
      assert.ok(pulumi);
      assert.equal(pulumi.with!.command, command);
      assert.equal(pulumi.with!["stack-name"], "${{ matrix.stack }}");
      assert.equal(pulumi.with!.policyPacks, "policy-pack");
      assert.match(
        String(pulumi.with!.policyPackConfigs),
        /policy-pack-config\.\$\{\{ matrix\.stack \}\}\.json/,
      );
      assert.equal(pulumi.env!.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
      const config = job.steps.findIndex((s) => s.run?.includes("--write-policy-pack-config"));
      assert.ok(
        config >= 0 && config < job.steps.indexOf(pulumi),
        "the pack config is written before pulumi runs",
      );
    });
  }

  it("deploys on the default branch only, one environment after another", () => {
    const up = wf.jobs.up;
    assert.match(up.if!, /github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'/);
    assert.equal((up.strategy as unknown as { "max-parallel": number })["max-parallel"], 1);
    assert.match(wf.jobs.preview.if!, /github\.event_name == 'pull_request'/);
  });
});
