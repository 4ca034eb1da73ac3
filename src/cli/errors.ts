/** Exit codes shared by every `ami-guard` command. */
export const EXIT = {
  /** Nothing at or above the threshold was found. */
  ok: 0,
  /** A mandatory violation (preview) or a finding at or above --fail-on (audit). */
  findings: 1,
  /** Bad input, or the job could not complete: the message says which file, key or call failed. */
  usage: 2,
} as const;

/** The exit code a command's action returns; `main` returns it as the process's. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the user can act on: printed as `ami-guard: <message>` without a stack trace, exit code 2.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "UserError";
  }
}
