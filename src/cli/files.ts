/**
 * The one way `ami-guard` reads a file the user named (`--inventory`, `--policy-pack-config`, `--config-file`,
 * `--config`, the project's own files): through the pack's bounded regular-file reader, parsed as JSON or YAML,
 * every problem a UserError (exit 2) that names the file as given and never quotes its contents.
 */
import * as path from "node:path";
import { parseDocument } from "yaml";
import { FileReadError, parseJsonText, readRegularFile } from "ami-guard-policies/aws/files";
import { UserError } from "./errors";

/** The path as the user would recognise it: relative to the working directory when it is inside it. */
export function shownPath(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith("..") && !path.isAbsolute(r) ? r : file;
}

/** Reads a regular file of at most `maxBytes`; a UserError `cannot read <what> <file>: <why>` otherwise. */
export function readInputText(file: string, what: string, maxBytes: number): string {
  try {
    return readRegularFile(file, maxBytes);
  } catch (e) {
    if (e instanceof FileReadError)
      throw new UserError(`cannot read ${what} ${shownPath(file)}: ${e.reason}`);
    throw e;
  }
}

/** Parses YAML text; a UserError `<file> is not valid YAML (<problem>)`, by the parser's code and position only. */
export function parseYamlText(text: string, file: string): unknown {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos?.[0];
    const what = err.code.toLowerCase().replace(/_/g, " ");
    throw new UserError(
      `${shownPath(file)} is not valid YAML (${where ? `${what} at line ${where.line}, column ${where.col}` : what})`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    // Only aliases fail here: one without its anchor, or too many (a "billion laughs" document).
    throw new UserError(
      `${shownPath(file)} is not valid YAML (an alias without its anchor, or more than 100 aliases)`,
    );
  }
}

/** Parses JSON text; a UserError `<file> is not valid JSON (<problem>)` on a syntax error. */
export function parseJsonFileText(text: string, file: string): unknown {
  const r = parseJsonText(text);
  if (!r.ok) throw new UserError(`${shownPath(file)} is not valid JSON (${r.problem})`);
  return r.value;
}

/** Reads and parses a JSON or YAML file the user named; every problem is one UserError naming the file. */
export function readInputDocument(
  file: string,
  what: string,
  opts: { maxBytes: number; format: "json" | "yaml" },
): unknown {
  const text = readInputText(file, what, opts.maxBytes);
  return opts.format === "yaml" ? parseYamlText(text, file) : parseJsonFileText(text, file);
}
