/**
 * `--export-inventory`: the `aws ec2 describe-images --output json` document that the offline preview reads
 * (AMI_GUARD_INVENTORY), with each owned image's `LaunchPermissions` as our extension field and, where the
 * audit resolved `resolve:ssm:` launch template images, the parameters read (`Parameters`). Written
 * atomically (a temporary file renamed into place) so a reader never sees half a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../cli/errors";
import type { ParameterValue } from "ami-guard-policies/aws/ssm";
import type { RawImage } from "./model";

export function inventoryDocument(
  images: readonly RawImage[],
  parameters: readonly ParameterValue[] = [],
): string {
  // Parameters (the `aws ssm get-parameters --output json` shape) only where the audit resolved some.
  const doc = parameters.length > 0 ? { Images: images, Parameters: parameters } : { Images: images };
  return JSON.stringify(doc, null, 2) + "\n";
}

export function writeInventory(
  file: string,
  images: readonly RawImage[],
  parameters: readonly ParameterValue[] = [],
): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, inventoryDocument(images, parameters));
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to clean up
    }
    throw new UserError(`cannot write inventory ${file}: ${(e as Error).message}`);
  }
}
