/**
 * The pack reads AMI_GUARD_INVENTORY (images, parameters, launch template versions) through the one bounded
 * reader: a FIFO or a device there fails every AMI check closed at once, naming the file, instead of blocking
 * the pack (and with it the engine's preview) forever.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPolicyPack, type PolicyPackProcess } from "../../src/analyzer/client";
import type { AnalyzerInfo, PolicyConfig } from "../../src/analyzer/types";
import { PACK_DIR, PROJECT, STACK, requireBuiltPack, resource } from "../helpers/engine";

(process.platform === "win32" ? describe.skip : describe)(
  "the pack with AMI_GUARD_INVENTORY naming a FIFO",
  function () {
    this.timeout(60_000);
    let tmp: string;
    let fifo: string;
    let pack: PolicyPackProcess;
    let info: AnalyzerInfo;

    before(async () => {
      requireBuiltPack();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-guard-fifo-"));
      fifo = path.join(tmp, "inventory.fifo");
      execFileSync("mkfifo", [fifo]);
      pack = await startPolicyPack({
        dir: PACK_DIR,
        engineAddress: "127.0.0.1:1",
        // A blocked pack would hold each call until this deadline: the test then fails instead of hanging.
        callTimeoutMs: 20_000,
        env: {
          ...process.env,
          PULUMI_PROJECT: PROJECT,
          PULUMI_STACK: STACK,
          PULUMI_DRY_RUN: "true",
          AMI_GUARD_INVENTORY: fifo,
        },
      });
      info = await pack.getAnalyzerInfo();
      const config: Record<string, PolicyConfig> = {};
      for (const p of info.policies)
        config[p.name] = { enforcementLevel: p.enforcementLevel, properties: {} };
      await pack.configure(config);
    });

    after(async () => {
      await pack?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    for (const [what, ami] of [
      ["an AMI id", "ami-0123456789abcdef0"],
      ["a resolve:ssm: reference", "resolve:ssm:/golden/ami-id"],
    ]) {
      it(`fails ${what} closed at once, naming the file and why`, async () => {
        const { diagnostics } = await pack.analyze(resource("aws:ec2/instance:Instance", "web", { ami }));
        const mandatory = diagnostics.filter((d) => d.enforcementLevel === "mandatory");
        assert.ok(mandatory.length > 0, JSON.stringify(diagnostics));
        assert.ok(
          mandatory.some((d) =>
            /cannot read inventory .*inventory\.fifo: it is not a regular file \(a FIFO\)/.test(d.message),
          ),
          JSON.stringify(mandatory.map((d) => d.message)),
        );
      });
    }
  },
);
