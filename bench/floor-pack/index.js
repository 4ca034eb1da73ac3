// The start-up floor: the engine's run-policy-pack harness, @pulumi/policy and one policy that does nothing.
// Whatever a pack costs beyond this is its own code. Resolves @pulumi/policy from bench/node_modules.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PolicyPack } = require("@pulumi/policy");

new PolicyPack("floor", {
  policies: [
    {
      name: "floor-noop",
      description: "Does nothing: the start-up floor.",
      enforcementLevel: "advisory",
      validateResource: () => undefined,
    },
  ],
});
