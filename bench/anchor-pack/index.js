// The anchor policy pack: @pulumi/awsguard as its README tells a team to use it, every policy mandatory.
// @pulumi/awsguard, @pulumi/policy and @pulumi/pulumi resolve from bench/node_modules (npm ci --prefix bench).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AwsGuard } = require("@pulumi/awsguard");

new AwsGuard({ all: "mandatory" });
