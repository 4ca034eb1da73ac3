/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, preloaded with node --require */
/**
 * Test code only. Preloaded into a policy pack a test starts (NODE_OPTIONS=--require this file), it appends one
 * line to the file AMI_GUARD_TEST_SDK_TRACE names for each AWS SDK client module the pack loads
 * (`load @aws-sdk/client-ec2`) and for each call one of its clients sends (`send DescribeImagesCommand canned`
 * when the client's request handler is the warm-up's in-process CannedHandler, `… network` otherwise).
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");

const file = process.env.AMI_GUARD_TEST_SDK_TRACE;
if (file) {
  const seen = new Set();
  const load = Module._load;
  Module._load = function (request, ...rest) {
    const exported = load.call(this, request, ...rest);
    if (/^@aws-sdk\/client-[a-z0-9-]+$/.test(request) && !seen.has(request)) {
      seen.add(request);
      fs.appendFileSync(file, `load ${request}\n`);
      for (const name of Object.keys(exported).filter((n) => /Client$/.test(n))) {
        const client = exported[name];
        const send = typeof client === "function" ? client.prototype?.send : undefined;
        if (typeof send !== "function") continue;
        client.prototype.send = function (command, ...args) {
          const handler = this.config?.requestHandler?.constructor?.name;
          fs.appendFileSync(
            file,
            `send ${command?.constructor?.name} ${handler === "CannedHandler" ? "canned" : "network"}\n`,
          );
          return send.call(this, command, ...args);
        };
      }
    }
    return exported;
  };
}
