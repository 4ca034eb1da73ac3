/**
 * The organisation's estate through the offline preview: the image-build stack passes its own pack; a
 * workload stack launching the shared golden image passes with an inventory that holds the owner's view
 * (OwnerViews, as the build account's audit exports it), and is blocked when the owner's view says the image
 * is un-approved, public or shared outside the allow-list — although the workload's own view shows none of it.
 * The CLI runs compiled, in this process (its `main`): cli.spec.ts and stacks.spec.ts start the binary.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, requireBuiltPack, scaled } from "../helpers/engine";
import { requireBuiltCli, runMain } from "../helpers/cli";
import { image } from "../helpers/policy";

interface Out {
  diagnostics: { policy: string; level: string; message: string }[];
}

const GOLDEN = "ami-0a1b2c3d4e5f60718";
const stackFile = (stack: string) => path.join(REPO, "stacks", "estate", `Pulumi.${stack}.yaml`);
const BUILD = "444444444444";
const OU = "arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456";

/** An inventory: the workload's view (no tags, no launch permissions) and the owner's view of the image. */
function inventory(dir: string, name: string, ownerTags: Record<string, string>, perms: unknown[]): string {
  const created = new Date(Date.now() - 10 * 86_400_000).toISOString();
  const golden = image({ ImageId: GOLDEN, OwnerId: BUILD, CreationDate: created });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      Images: [{ ...golden, Tags: [] }],
      OwnerViews: {
        [BUILD]: {
          Images: [
            {
              ...golden,
              Tags: Object.entries(ownerTags).map(([Key, Value]) => ({ Key, Value })),
              LaunchPermissions: perms,
            },
          ],
        },
      },
    }),
  );
  return file;
}

describe("ami-guard preview across the estate (image-build and workload stacks)", function () {
  this.timeout(scaled(150_000));
  before(() => {
    requireBuiltPack();
    requireBuiltCli();
  });
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-estate-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const mandatory = (stdout: string) =>
    (JSON.parse(stdout) as Out).diagnostics.filter((d) => d.level === "mandatory");

  it("build: the image-build stack passes its own pack (exit 0)", async () => {
    const run = await runMain(
      ["preview", "--stack", "build", "--config-file", stackFile("build"), "--json"],
      { compiled: true },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
    assert.deepEqual(mandatory(run.stdout), []);
  });

  it("workload: the shared golden image passes on its owner's tags and launch permissions (exit 0)", async () => {
    const file = inventory(dir, "good", { Version: "1.0.0", Environment: "build", Approved: "true" }, [
      { OrganizationalUnitArn: OU },
    ]);
    const run = await runMain(
      [
        "preview",
        "--stack",
        "workload",
        "--config-file",
        stackFile("workload"),
        "--inventory",
        file,
        "--json",
      ],
      { compiled: true },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
    assert.deepEqual(mandatory(run.stdout), []);
  });

  it("workload: blocked when the owner's view says un-approved, public and shared outside the allow-list (exit 1)", async () => {
    const file = inventory(dir, "bad", { Version: "1.0.0", Environment: "build", Approved: "false" }, [
      { Group: "all" },
      { OrganizationalUnitArn: OU },
      { UserId: "999999999999" },
    ]);
    const run = await runMain(
      [
        "preview",
        "--stack",
        "workload",
        "--config-file",
        stackFile("workload"),
        "--inventory",
        file,
        "--json",
      ],
      { compiled: true },
    );
    assert.equal(run.code, 1, run.stderr + run.stdout.slice(-3000));
    const found = mandatory(run.stdout);
    const about = (policy: string, re: RegExp) =>
      assert.ok(
        found.some((d) => d.policy === policy && re.test(d.message)),
        `${policy} ${re}: ${JSON.stringify(found, null, 1)}`,
      );
    about(
      "ec2-ami-require-tags",
      new RegExp(`AMI ${GOLDEN} has tag value\\(s\\) not allowed: Approved="false"`),
    );
    about("ec2-ami-disallow-public-sharing", /is shared publicly \(launch permission group all\)/);
    about("ec2-ami-disallow-public-sharing", /shared outside the allow-list: account 999999999999/);
  });
});
