/**
 * `npm run docs`: writes the generated reference pages from their single sources. Each page has a test that fails
 * when the committed file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES_DOC, policiesDoc } from "./policies";

const ROOT = path.join(__dirname, "..", "..");

/** Every generated page: its path from the repository root and how to render it. */
export const GENERATED: readonly { file: string; render: (file: string) => Promise<string> }[] = [
  { file: POLICIES_DOC, render: policiesDoc },
];

async function main(): Promise<void> {
  for (const g of GENERATED) {
    const file = path.join(ROOT, g.file);
    const text = await g.render(file);
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (old === text) {
      console.log(`${g.file}: up to date`);
      continue;
    }
    fs.writeFileSync(file, text);
    console.log(`${g.file}: written`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`npm run docs: ${(e as Error)?.message ?? String(e)}`);
    process.exitCode = 1;
  });
}
