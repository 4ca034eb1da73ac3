import assert from "node:assert/strict";
import { ConfigError } from "../../config";
import { installMocks, loadStackConfig, settle } from "../helpers/mocks";

/** The program itself stops on a bad stack file before declaring anything (own process: mocks are global). */
describe("program with an invalid stack file", function () {
  it("throws ConfigError naming the key and stack file, and declares no resource", async function () {
    const config = { ...loadStackConfig("staging"), "ami-guard:fleetAmi": "ami-nothex00" };
    const rec = await installMocks({ config, stack: "staging", accountId: "222222222222" });
    const modulePath = require.resolve("../../index");
    delete require.cache[modulePath];
    assert.throws(
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      () => require(modulePath),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.key === "ami-guard:fleetAmi" &&
        e.message.includes("stacks/Pulumi.staging.yaml"),
    );
    await settle();
    assert.equal(rec.registrations.length, 0);
    assert.deepEqual(rec.calls, []);
  });
});
