/**
 * Terminal plumbing shared by every `s5` subcommand: where output goes (injectable for in-process
 * tests), exit codes, usage errors, the `s5: error: <file>: <problem>` format, and a progress line
 * that is drawn on stderr only when stderr is a terminal (stdout stays machine-readable).
 */
import { S5Error } from '../shared/errors';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is an interactive terminal: progress lines are shown only then. */
  stderrIsTTY: boolean;
}

export const EXIT = { ok: 0, dataError: 1, usage: 2 } as const;

/** Bad command line: reported with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One subcommand of `s5`. `run` returns the exit status; it throws UsageError / S5Error on failure. */
export interface Command {
  name: string;
  /** One line for `s5 --help`. */
  summary: string;
  /** Full text for `s5 <name> --help`. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/** `s5: error: <file>: <problem>` (the file part only when the error names one). */
export function formatDataError(err: S5Error): string {
  if (err.file === undefined) return `s5: error: ${err.message}\n`;
  // Some engine messages already start with the path; do not print it twice.
  const problem = err.message.startsWith(`${err.file}: `) ? err.message.slice(err.file.length + 2) : err.message;
  return `s5: error: ${err.file}: ${problem}\n`;
}

export function formatUsageError(err: UsageError, command?: string): string {
  const help = command === undefined ? 's5 --help' : `s5 ${command} --help`;
  return `s5: error: ${err.message}\nRun '${help}' for usage.\n`;
}

export function formatWarning(text: string): string {
  return `s5: warning: ${text}\n`;
}

/** A single self-overwriting status line on a terminal's stderr; silent elsewhere. */
export class ProgressLine {
  private shown = false;
  constructor(private readonly io: CliIO) {}

  update(text: string): void {
    if (!this.io.stderrIsTTY) return;
    this.io.stderr(`\r${text}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.io.stderr('\r\x1b[K');
    this.shown = false;
  }
}
