/**
 * The GitHub Actions workflow: valid YAML with the expected triggers, jobs and steps. The gate a pull request
 * cannot rewrite: the gating jobs judge the change (its program and stack files, in `pr/`) with the pack,
 * settings and inventory of the protected default branch (in `trusted/`); the pull request's own pack and
 * settings run in a separate job that cannot fail the check; the real `pulumi preview` / `pulumi up` run with
 * the pack where an OIDC role exists.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { REPO } from "../helpers/engine";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  "continue-on-error"?: boolean;
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

const DEFAULT_BRANCH = "${{ github.event.repository.default_branch }}";
const TRUSTED = "trusted";
const CHANGE = "pr";

/** The value of `--flag VALUE` in a command line. */
const arg = (run: string, flag: string): string | undefined =>
  new RegExp(`(?:^|\\s)${flag.replace(/-/g, "\\-")}\\s+((?:\\$\\{\\{[^}]*\\}\\}|\\S)+)`).exec(run)?.[1];

/** The steps that write the pack settings: `ami-guard pack-config --stack <matrix stack>` (no preview run). */
const settingsSteps = (job: Job): Step[] =>
  job.steps.filter((s) => / pack-config --stack \$\{\{ matrix\.stack \}\}( |$)/.test(s.run ?? ""));

/** Where the job's one settings step writes them. */
const settingsFile = (job: Job): string | undefined => {
  const steps = settingsSteps(job);
  return steps.length === 1 ? arg(steps[0].run!, "--output") : undefined;
};

/**
 * Asserts that `job` is a gate the change cannot rewrite: it checks out the default branch into `trusted/` and
 * the change into `pr/`, builds only the default branch's code (the change is installed with --ignore-scripts),
 * derives the pack settings from the default branch's stack files, and judges the change with the default
 * branch's pack (and, offline, its inventory).
 */
function assertTrustedGate(job: Job, what: string): Step[] {
  assert.notEqual(job["continue-on-error"], true, `${what} must be able to fail the check`);
  const checkouts = job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"));
  const trusted = checkouts.find((s) => s.with?.path === TRUSTED);
  assert.ok(trusted, `${what}: the default branch is checked out into ${TRUSTED}/`);
  assert.equal(
    trusted.with!.ref,
    DEFAULT_BRANCH,
    `${what}: ${TRUSTED}/ is the default branch, not the change`,
  );
  const change = checkouts.find((s) => s.with?.path === CHANGE);
  assert.ok(change, `${what}: the change is checked out into ${CHANGE}/, apart from the trusted code`);
  assert.equal(change.with!.ref, undefined, `${what}: ${CHANGE}/ is the change itself`);
  assert.equal(checkouts.length, 2, `${what}: no other checkout (nothing overlays ${TRUSTED}/)`);
  for (const c of checkouts) assert.equal(c.with!["persist-credentials"], false);

  const installs = job.steps.filter((s) => /\bnpm (ci|install)\b/.test(s.run ?? ""));
  const trustedInstall = installs.find((s) => s["working-directory"] === TRUSTED);
  assert.ok(
    trustedInstall && trustedInstall.run === "npm ci",
    `${what}: builds the default branch's pack and CLI`,
  );
  for (const s of installs.filter((x) => x !== trustedInstall)) {
    assert.equal(s["working-directory"], CHANGE, `${what}: installs only in ${TRUSTED}/ and ${CHANGE}/`);
    assert.match(s.run!, /--ignore-scripts/, `${what}: the change's install scripts never run`);
  }

  const cli = job.steps.filter((s) => s.run?.includes("ami-guard.js"));
  assert.ok(cli.length >= 1);
  for (const s of cli) {
    assert.match(
      s.run!,
      new RegExp(`^node ${TRUSTED}/dist/src/cli/ami-guard\\.js `),
      `${what}: only the trusted CLI runs`,
    );
  }
  assert.ok(
    !cli.some((s) => s.run!.includes("--write-policy-pack-config")),
    `${what}: no preview runs only to write the settings`,
  );
  const writes = settingsSteps(job);
  assert.equal(writes.length, 1, `${what}: one settings step`);
  assert.equal(
    arg(writes[0].run!, "--cwd"),
    TRUSTED,
    `${what}: settings come from the default branch's stack files`,
  );
  assert.doesNotMatch(writes[0].run!, /--config-file/, `${what}: from the stack file itself`);
  const config = settingsFile(job)!;
  assert.ok(config, `${what}: the settings are written to a file`);
  assert.ok(
    !config.startsWith(CHANGE) && !config.includes(`/${CHANGE}/`),
    `${what}: settings are written outside the change`,
  );
  assert.ok(job.steps.indexOf(writes[0]) > job.steps.indexOf(trustedInstall!));
  const rest = job.steps.filter(
    (s) => s !== writes[0] && (s.run?.includes("ami-guard.js") || s.uses?.startsWith("pulumi/actions@")),
  );
  for (const s of rest) {
    assert.ok(job.steps.indexOf(writes[0]) < job.steps.indexOf(s), `${what}: settings are written first`);
  }
  return rest;
}

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
  permissions: Record<string, string>;
}

/** The offline gate: every stack, the change's program judged by the default branch's pack, settings, inventory. */
function assertOfflineGate(wf: Workflow): void {
  const job = wf.jobs["offline-preview"];
  assert.equal(job.if, undefined, "runs unconditionally");
  assert.match(job.name!, /^gate: /);
  assert.deepEqual([...job.strategy!.matrix.stack!].sort(), STACKS);
  const [gate, ...rest] = assertTrustedGate(job, "offline-preview");
  assert.deepEqual(rest, [], "one judging step");
  const run = gate.run!;
  assert.match(run, /preview --stack \$\{\{ matrix\.stack \}\}/);
  assert.equal(arg(run, "--cwd"), CHANGE, "the change's program and stack files are what is judged");
  assert.equal(
    arg(run, "--policy-pack"),
    `\${{ github.workspace }}/${TRUSTED}/policy-pack`,
    "the default branch's pack",
  );
  assert.equal(
    arg(run, "--policy-pack-config"),
    settingsFile(job),
    "the settings derived from the default branch",
  );
  assert.equal(
    arg(run, "--inventory"),
    `\${{ github.workspace }}/${TRUSTED}/inventory/default.json`,
    "the default branch's inventory",
  );
  assert.ok(!JSON.stringify(job).includes("secrets."), "no secret is needed");
  assert.ok(!job.steps.some((s) => s.uses?.startsWith("aws-actions/")));
}

/** The real `pulumi preview` gate, per environment with an OIDC role, with the default branch's pack and settings. */
function assertPreviewGate(wf: Workflow): void {
  const job = wf.jobs.preview;
  assert.match(job.name!, /^gate: /);
  assert.match(job.if!, /github\.event_name == 'pull_request'/);
  assert.match(job.if!, /vars\.AWS_ROLE_ARN_DEV != ''/, "only where credentials are configured");
  assert.equal(job.needs, "offline-preview");
  assert.equal(job.permissions!["id-token"], "write");
  assert.deepEqual(job.strategy!.matrix.include!.map((i) => i.stack).sort(), STACKS);
  const creds = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
  assert.ok(creds);
  assert.equal(creds.with!["role-to-assume"], "${{ vars[matrix.role] }}");
  const [pulumi, ...rest] = assertTrustedGate(job, "preview");
  assert.deepEqual(rest, []);
  assert.ok(pulumi.uses?.startsWith("pulumi/actions@"));
  assert.equal(pulumi.with!.command, "preview");
  assert.equal(pulumi.with!["stack-name"], "${{ matrix.stack }}");
  assert.equal(pulumi.with!["work-dir"], CHANGE);
  assert.equal(pulumi.with!.policyPacks, `\${{ github.workspace }}/${TRUSTED}/policy-pack`);
  assert.equal(pulumi.with!.policyPackConfigs, settingsFile(job));
  assert.equal(pulumi.env!.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  assert.ok(
    job.steps.indexOf(settingsSteps(job)[0]) < job.steps.indexOf(creds),
    "the settings need no AWS credentials: they are written before any",
  );
}

describe("GitHub Actions workflow", () => {
  const doc = parseDocument(fs.readFileSync(FILE, "utf8"));
  const wf = doc.toJS() as Workflow;

  it("is valid YAML", () => {
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
  });

  it("runs on pull requests and on pushes to the default branch, with read-only default permissions", () => {
    assert.ok("pull_request" in wf.on);
    assert.ok(!("pull_request_target" in wf.on), "never runs the change with the base's secrets");
    assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
    assert.deepEqual(wf.permissions, { contents: "read" });
  });

  it("gates every stack offline with the default branch's pack, settings and inventory, on the change's program", () => {
    assertOfflineGate(wf);
  });

  it("shows the pull request's own pack and settings in a separate job that cannot fail the check", () => {
    const job = wf.jobs["pr-pack-preview"];
    assert.ok(job);
    assert.equal(job["continue-on-error"], true);
    assert.match(job.name!, /not a gate/);
    assert.match(job.if!, /github\.event_name == 'pull_request'/);
    assert.deepEqual([...job.strategy!.matrix.stack!].sort(), STACKS);
    assert.ok(
      job.steps.some((s) => s.run === "node dist/src/cli/ami-guard.js preview --stack ${{ matrix.stack }}"),
    );
    for (const [name, other] of Object.entries(wf.jobs)) {
      const needs = ([] as string[]).concat(other.needs ?? []);
      assert.ok(!needs.includes("pr-pack-preview"), `${name} must not depend on the advisory job`);
    }
    assert.ok(!JSON.stringify(job).includes("secrets."));
  });

  it("runs pulumi preview on pull requests with the default branch's pack and settings, per environment with an OIDC role", () => {
    assertPreviewGate(wf);
  });

  it("runs pulumi up with the pack per environment, on the default branch only, one environment after another", () => {
    const up = wf.jobs.up;
    assert.match(up.if!, /github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'/);
    assert.match(up.if!, /vars\.AWS_ROLE_ARN_DEV != ''/);
    assert.equal(up.needs, "offline-preview");
    assert.equal(up.permissions!["id-token"], "write");
    assert.equal((up.strategy as unknown as { "max-parallel": number })["max-parallel"], 1);
    assert.deepEqual(up.strategy!.matrix.include!.map((i) => i.stack).sort(), STACKS);
    const pulumi = up.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.ok(pulumi);
    assert.equal(pulumi.with!.command, "up");
    assert.equal(
      pulumi.with!.policyPacks,
      "policy-pack",
      "on the default branch the checkout is the trusted code",
    );
    assert.match(
      String(pulumi.with!.policyPackConfigs),
      /policy-pack-config\.\$\{\{ matrix\.stack \}\}\.json/,
    );
    const [settings, ...others] = settingsSteps(up);
    assert.equal(others.length, 0);
    assert.equal(settingsFile(up), pulumi.with!.policyPackConfigs, "the pack config pulumi up is given");
    assert.ok(
      up.steps.indexOf(settings) < up.steps.indexOf(pulumi),
      "the pack config is written before pulumi runs",
    );
    assert.ok(!up.steps.some((s) => s.run?.includes("--write-policy-pack-config")), "no preview run for it");
  });
  describe("a change to the gate that would let a pull request judge itself is caught", () => {
    type Mutation = [string, (w: Workflow) => void];
    const settingsOf = (w: Workflow, job: string) => settingsSteps(w.jobs[job])[0];
    const edit = (
      job: string,
      step: (w: Workflow) => Step,
      from: RegExp,
      to: string,
    ): ((w: Workflow) => void) => {
      return (w) => {
        const s = step(w);
        assert.match(s.run!, from, `the mutation applies to ${job}`);
        s.run = s.run!.replace(from, to);
      };
    };
    const gateStep = (w: Workflow) =>
      w.jobs["offline-preview"].steps.find((s) => / preview --stack .* --cwd pr /.test(s.run ?? ""))!;
    const mutations: Record<string, Mutation[]> = {
      "offline-preview": [
        [
          "settings from the change's stack files",
          edit("offline-preview", (w) => settingsOf(w, "offline-preview"), /--cwd trusted/, "--cwd pr"),
        ],
        [
          "settings written into the change",
          edit(
            "offline-preview",
            (w) => settingsOf(w, "offline-preview"),
            /--output \S+/,
            "--output pr/policy-pack-config.json",
          ),
        ],
        [
          "settings from another stack file",
          edit(
            "offline-preview",
            (w) => settingsOf(w, "offline-preview"),
            / --output/,
            " --config-file pr/stacks/Pulumi.dev.yaml --output",
          ),
        ],
        [
          "settings by the change's CLI",
          edit("offline-preview", (w) => settingsOf(w, "offline-preview"), /^node trusted\//, "node pr/"),
        ],
        [
          "settings by a live preview again",
          edit(
            "offline-preview",
            (w) => settingsOf(w, "offline-preview"),
            / pack-config (--stack .+ --cwd trusted) --output/,
            " preview $1 --write-policy-pack-config",
          ),
        ],
        [
          "the gate without the trusted settings (it would derive them from the change)",
          edit("offline-preview", gateStep, / --policy-pack-config \S+/, ""),
        ],
        [
          "the gate with the change's own settings file",
          edit(
            "offline-preview",
            gateStep,
            /--policy-pack-config \S+/,
            "--policy-pack-config pr/policy-pack/config.example.json",
          ),
        ],
        [
          "settings written after the gate ran",
          (w) => {
            const steps = w.jobs["offline-preview"].steps;
            const s = settingsOf(w, "offline-preview");
            steps.splice(steps.indexOf(s), 1);
            steps.push(s);
          },
        ],
        [
          "no settings step",
          (w) =>
            void w.jobs["offline-preview"].steps.splice(
              w.jobs["offline-preview"].steps.indexOf(settingsOf(w, "offline-preview")),
              1,
            ),
        ],
      ],
      preview: [
        [
          "settings from the change's stack files",
          edit("preview", (w) => settingsOf(w, "preview"), /--cwd trusted/, "--cwd pr"),
        ],
        [
          "settings written into the change",
          edit(
            "preview",
            (w) => settingsOf(w, "preview"),
            /--output \S+/,
            "--output pr/policy-pack-config.json",
          ),
        ],
        [
          "settings by the change's CLI",
          edit("preview", (w) => settingsOf(w, "preview"), /^node trusted\//, "node pr/"),
        ],
        [
          "pulumi preview given the change's settings",
          (w) => {
            w.jobs.preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with!.policyPackConfigs =
              "pr/policy-pack/config.example.json";
          },
        ],
      ],
    };
    const check: Record<string, (w: Workflow) => void> = {
      "offline-preview": assertOfflineGate,
      preview: assertPreviewGate,
    };
    for (const [job, list] of Object.entries(mutations)) {
      for (const [what, mutate] of list) {
        it(`${job}: ${what}`, () => {
          const w = structuredClone(wf);
          check[job](w); // the real workflow passes
          mutate(w);
          assert.throws(() => check[job](w), assert.AssertionError);
        });
      }
    }
  });
});
