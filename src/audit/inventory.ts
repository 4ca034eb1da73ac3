/**
 * `--export-inventory`: the `aws ec2 describe-images --output json` document that the offline preview reads
 * (AMI_GUARD_INVENTORY), with each owned image's `LaunchPermissions` as our extension field. Written
 * atomically (a temporary file renamed into place) so a reader never sees half a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../cli/errors";
import type { RawImage } from "./judge";

export function inventoryDocument(images: readonly RawImage[]): string {
  return JSON.stringify({ Images: images }, null, 2) + "\n";
}

export function writeInventory(file: string, images: readonly RawImage[]): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, inventoryDocument(images));
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
