/**
 * Entry of the `s5` command line (bin/s5.cjs runs it through tsx): global options and subcommand
 * dispatch. Each subcommand is a `Command` in ./commands; later issues add theirs to COMMANDS.
 * Exit status: 0 success, 1 data error (`s5: error: <file>: <problem>`), 2 usage error.
 */
import { S5Error } from '../shared/errors';
import { APP_VERSION } from '../engine/version';
import { doctorCommand } from './commands/doctor';
import { evaluateCommand } from './commands/evaluate';
import { listenCommand } from './commands/listen';
import { modelsCommand } from './commands/models';
import { onnxBenchCommand } from './commands/onnx-bench';
import { onnxRunCommand } from './commands/onnx-run';
import { separateCommand } from './commands/separate';
import { submissionCommand } from './commands/submission';
import { tagCommand } from './commands/tag';
import { EXIT, formatDataError, formatUsageError, processIO, UsageError, type CliIO, type Command } from './io';

export const COMMANDS: readonly Command[] = [
  separateCommand, tagCommand, listenCommand, evaluateCommand, submissionCommand, modelsCommand, doctorCommand, onnxRunCommand, onnxBenchCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: s5 <command> [options]

S5 Studio command line: spatial semantic segmentation of sound scenes (DCASE Task 4).

Commands:
${list}

Options:
  -h, --help      show this help ('s5 <command> --help' for a command's options)
  -V, --version   print the version

Exit status: 0 success, 1 data error (the message names the file and the problem),
2 usage error.
`;
}

/** Runs one command line; returns the exit status (never throws). */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(topHelp());
    return EXIT.usage;
  }
  if (first === '-h' || first === '--help') {
    io.stdout(topHelp());
    return EXIT.ok;
  }
  if (first === '-V' || first === '--version') {
    io.stdout(`s5 ${APP_VERSION}\n`);
    return EXIT.ok;
  }
  if (first === 'help') return runHelp(rest, io);
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    const what = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`;
    io.stderr(formatUsageError(new UsageError(`${what} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`)));
    return EXIT.usage;
  }
  return runCommand(command, rest, io);
}

async function runCommand(command: Command, args: string[], io: CliIO): Promise<number> {
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(formatUsageError(err, command.name));
      return EXIT.usage;
    }
    if (err instanceof S5Error) {
      io.stderr(formatDataError(err));
      return EXIT.dataError;
    }
    const detail = err instanceof Error ? (process.env.S5_DEBUG ? err.stack ?? err.message : err.message) : String(err);
    io.stderr(`s5: internal error: ${detail}\n`);
    return EXIT.dataError;
  }
}

function runHelp(args: readonly string[], io: CliIO): number {
  const name = args[0];
  if (name === undefined) {
    io.stdout(topHelp());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(formatUsageError(new UsageError(`unknown command '${name}'`)));
    return EXIT.usage;
  }
  io.stdout(command.help);
  return EXIT.ok;
}
