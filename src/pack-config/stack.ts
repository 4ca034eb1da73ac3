/**
 * The pack settings of one of our own stacks, read from its stack file (through the same project reader as the
 * offline preview) and derived by the program's own pure function (`config/pack-settings.ts`).
 */
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { isOwnProject, packSettingsForStack, type PackSettings } from "../../config/pack-settings";
import { UserError } from "../cli/errors";
import { shownPath } from "../cli/files";
import {
  findProjectRoot,
  readProject,
  readStackConfig,
  type Project,
  type StackConfig,
} from "../preview/project";

function assertOwnProject(project: Project): void {
  if (!isOwnProject(project.name)) {
    throw new UserError(
      `${shownPath(project.file)}: project ${project.name} is not AMI Guard's program, so no pack settings follow from its stacks: write a policy pack config by hand`,
    );
  }
}

/** The settings derived from `stackConfig` of `project`; a UserError when the project is not ours or invalid. */
export function packSettingsOfStack(project: Project, stackConfig: StackConfig): PackSettings {
  assertOwnProject(project);
  try {
    return packSettingsForStack(stackConfig.config, stackConfig.stack, shownPath(stackConfig.file));
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message);
    throw e;
  }
}

/** Finds the project from `cwd`, reads the stack's file (or `configFile`) and derives its pack settings. */
export function packSettingsFromFiles(opts: { stack: string; cwd?: string; configFile?: string }): {
  settings: PackSettings;
  stackFile: string;
} {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const root = findProjectRoot(cwd);
  if (!root) throw new UserError(`no Pulumi project (Pulumi.yaml) in ${cwd} or its parents`);
  const project = readProject(root);
  assertOwnProject(project);
  const stackConfig = readStackConfig(project, opts.stack, opts.configFile);
  return { settings: packSettingsOfStack(project, stackConfig), stackFile: stackConfig.file };
}
