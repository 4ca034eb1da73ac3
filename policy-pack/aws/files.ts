/**
 * Reading a file a user named (an inventory, a settings file, a stack file): only a regular file, only up to a
 * bound, never waiting on a FIFO or reading a device without end; and describing a JSON syntax error without
 * echoing the file's contents (V8's messages quote the text around the error, which may hold secrets). The pack,
 * the offline preview and the audit all read their input files through here.
 */
import * as fs from "node:fs";

export const MIB = 1024 * 1024;
/** The largest inventory read (about 30,000 images in the describe-images shape). */
export const MAX_INVENTORY_BYTES = 64 * MIB;
/** The largest settings or stack file read. */
export const MAX_CONFIG_BYTES = 1 * MIB;

/** A file that cannot be read; `reason` says why in a few words (no path, no contents). */
export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot read ${file}: ${reason}`);
    this.name = "FileReadError";
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

function sizeText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is not a regular file (a directory)";
    case "ENOTDIR":
      return "a part of its path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return code ?? ((e as Error)?.message || String(e)).split("\n")[0];
  }
}

/**
 * Reads `file` as UTF-8 text. Throws {@link FileReadError} when it is missing or unreadable, is not a regular
 * file (a directory, FIFO, device or socket: checked on the opened descriptor, and the open does not wait for
 * a FIFO's writer), or holds more than `maxBytes` (also when it grows while being read).
 */
export function readRegularFile(file: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new FileReadError(file, reasonOf(e));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(file, `it is not a regular file (${kindOf(st)})`);
    const tooBig = () => new FileReadError(file, `it is larger than ${sizeText(maxBytes)}`);
    if (st.size > maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(Math.min(Math.max(st.size, 64 * 1024), maxBytes) + 1);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig();
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw new FileReadError(file, reasonOf(e));
  } finally {
    fs.closeSync(fd);
  }
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  return { line, column: before.length - before.lastIndexOf("\n") };
}

/**
 * What is wrong with JSON that `JSON.parse` rejected, in words that never quote the text: where (line and
 * column, when V8 says), or that it ends early.
 */
export function jsonSyntaxProblem(e: unknown, text: string): string {
  const message = (e as Error)?.message ?? "";
  if (/Unexpected end of JSON input/i.test(message)) return "it ends before the JSON value is complete";
  const at = /at position ([0-9]+)/.exec(message);
  if (at) {
    const { line, column } = lineColumn(text, Number(at[1]));
    return `syntax error at line ${line}, column ${column}`;
  }
  return "syntax error";
}

/** `JSON.parse`, whose error names the problem without quoting the text. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, problem: jsonSyntaxProblem(e, text) };
  }
}
