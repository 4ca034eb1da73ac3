/**
 * AMI Guard's CrossGuard policy pack. Started by the engine (`pulumi preview --policy-pack policy-pack`);
 * ships compiled (bin/index.js) so it starts without ts-node. Policies never import @pulumi/aws (start-up
 * cost); the AWS SDK loads once the engine has configured the stack, while it runs the program (or at the first
 * look-up, whichever comes first), and its first calls are warmed in-process then, and so is the path every
 * request takes (runtime/policy.ts prepareForAnalysis, aws/warm-up.ts, runtime/request-warm-up.ts); never during
 * start-up.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { watchEngine } from "./runtime/engine-hooks";
import { prepareForAnalysis } from "./runtime/policy";

watchEngine(() => void prepareForAnalysis());

new PolicyPack("ami-guard", { policies });
