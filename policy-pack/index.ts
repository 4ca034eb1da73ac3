/**
 * AMI Guard's CrossGuard policy pack. Started by the engine (`pulumi preview --policy-pack policy-pack`);
 * ships compiled (bin/index.js) so it starts without ts-node. Policies never import @pulumi/aws (start-up
 * cost) and load the AWS SDK only when EC2 is asked.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("ami-guard", { policies });
