/**
 * `npm run docs:config`: writes docs/configuration.md and the `config:` block of Pulumi.yaml from the config
 * table (config/schema.ts). The rest of Pulumi.yaml is kept as it is; `config:` is its last block.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { configurationDoc, projectConfigBlock } from "./docs";

const root = path.resolve(__dirname, "..");

/** Pulumi.yaml's text with its `config:` block replaced by the table's. */
export function withProjectConfig(projectYaml: string): string {
  const at = projectYaml.search(/^config:/m);
  const head = at < 0 ? projectYaml.replace(/\n*$/, "\n") : projectYaml.slice(0, at);
  return head + stringify({ config: projectConfigBlock() }, { lineWidth: 0 });
}

if (require.main === module) {
  const project = path.join(root, "Pulumi.yaml");
  fs.writeFileSync(project, withProjectConfig(fs.readFileSync(project, "utf8")));
  fs.writeFileSync(path.join(root, "docs", "configuration.md"), configurationDoc());
  console.log("wrote Pulumi.yaml (config:) and docs/configuration.md");
}
