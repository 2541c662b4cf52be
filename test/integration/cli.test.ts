/**
 * The `s5` command line in-process (runCli with a captured CliIO) and once through the npm bin:
 * help texts, version, dispatch, exit codes, error format, progress only on a terminal, and the
 * Python-compatible number formatting of the summary lines. The bin itself, as users run it, with
 * every command and input format: cli-bin.test.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyFixed } from '../../src/cli/format';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'resources', 'examples', 'evaluate-2025');

function capture(tty = false): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stderrIsTTY: tty,
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}

const exampleArgs = ['--soundscapes', path.join(EXAMPLE, 'soundscape'), '--oracle', path.join(EXAMPLE, 'oracle_target'), '--estimates', path.join(EXAMPLE, 'estimate')];

describe('s5 (in-process)', () => {
  it('--help lists the commands and exit codes', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: s5 <command> \[options\]/);
    expect(io.out).toMatch(/evaluate\s+score separated sources/);
    expect(io.out).toMatch(/0 success, 1 data error.*\n2 usage error/);
    expect(io.err).toBe('');
  });

  it('no arguments → help on stderr, exit 2', async () => {
    const io = capture();
    expect(await runCli([], io)).toBe(2);
    expect(io.err).toMatch(/^Usage: s5/);
    expect(io.out).toBe('');
  });

  it('--version', async () => {
    const io = capture();
    expect(await runCli(['--version'], io)).toBe(0);
    expect(io.out).toMatch(/^s5 \d+\.\d+\.\d+\n$/);
  });

  it('evaluate --help documents every option, the name rules and the outputs', async () => {
    const io = capture();
    expect(await runCli(['evaluate', '--help'], io)).toBe(0);
    for (const needle of ['--task', 'dcase2025t4', 'dcase2026t4', '--soundscapes', '--oracle', '--estimates', '--json', '<name>_<i>_<Label>.wav', 'VacuumCleaner', 'CA-SDRi: 11.088', 'Accuracy (source) :', 'Exit status']) {
      expect(io.out).toContain(needle);
    }
    const viaHelp = capture();
    expect(await runCli(['help', 'evaluate'], viaHelp)).toBe(0);
    expect(viaHelp.out).toBe(io.out);
  });

  it('unknown command / option → exit 2', async () => {
    const a = capture();
    expect(await runCli(['frobnicate'], a)).toBe(2);
    expect(a.err).toBe("s5: error: unknown command 'frobnicate' (commands: separate, tag, listen, evaluate, submission, models, doctor, onnx-run, onnx-bench)\nRun 's5 --help' for usage.\n");
    const b = capture();
    expect(await runCli(['evaluate', '--task', 'dcase2025t4', '--nope'], b)).toBe(2);
    expect(b.err).toBe("s5: error: unknown option '--nope'\nRun 's5 evaluate --help' for usage.\n");
    const c = capture();
    expect(await runCli(['evaluate', '--task', 'dcase2025t4', ...exampleArgs.slice(0, 4)], c)).toBe(2);
    expect(c.err).toMatch(/missing required option --estimates/);
    const d = capture();
    expect(await runCli(['evaluate', '--task'], d)).toBe(2);
    expect(d.err).toMatch(/option '--task <value>' argument missing/);
  });

  it('data errors → exit 1 as "s5: error: <file>: <problem>"', async () => {
    const io = capture();
    const code = await runCli(['evaluate', '--task', 'dcase2025t4', ...exampleArgs.slice(0, 4), '--estimates', '/nonexistent/est'], io);
    expect(code).toBe(1);
    expect(io.err).toBe('s5: error: /nonexistent/est: estimates folder does not exist\n');
  });

  it('progress goes to stderr on a terminal only; stdout stays the summary', async () => {
    const tty = capture(true);
    expect(await runCli(['evaluate', '--task', 'dcase2025t4', ...exampleArgs], tty)).toBe(0);
    expect(tty.err).toMatch(/\r\[1\/6\] dev2025_0000/);
    expect(tty.err).toMatch(/\r\[6\/6\] dev2025_0005/);
    expect(tty.err).toContain('\r\x1b[K'); // the line is cleared at the end
    expect(tty.out).toMatch(/^CA-SDRi: \S+\nLabel prediction accuracy: \S+\n$/);
    const pipe = capture(false);
    await runCli(['evaluate', '--task', 'dcase2025t4', ...exampleArgs], pipe);
    expect(pipe.err).not.toContain('\r');
    expect(pipe.out).toBe(tty.out);
  });

  it('--json prints exactly one JSON object', async () => {
    const io = capture();
    expect(await runCli(['evaluate', '--task', 'dcase2025t4', ...exampleArgs, '--json'], io)).toBe(0);
    const obj = JSON.parse(io.out);
    expect(Object.keys(obj).slice(0, 4)).toEqual(['task', 'ca_sdri', 'label_accuracy', 'per_mixture']);
    expect(obj.per_mixture.dev2025_0000).toMatchObject({ labels_correct: true });
  });
});

describe('npx s5 entry (bin/s5.cjs)', () => {
  it('runs the command line (the bundle when built and up to date, else the sources through tsx)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 's5.cjs'), 'evaluate', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: s5 evaluate/);
  });

  it('propagates exit status 2 on usage errors', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 's5.cjs'), 'evaluate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});

describe('pyFixed (Python "%.Nf")', () => {
  it('rounds exact binary ties to even like Python, everything else like toFixed', () => {
    expect(pyFixed(0.0625, 3)).toBe('0.062'); // toFixed: 0.063
    expect(pyFixed(0.1875, 3)).toBe('0.188');
    expect(pyFixed(3.125, 2)).toBe('3.12'); // toFixed: 3.13
    expect(pyFixed(-3.125, 2)).toBe('-3.12');
    expect(pyFixed(2.5, 0)).toBe('2');
    expect(pyFixed(3.5, 0)).toBe('4');
    expect(pyFixed(2.675, 2)).toBe('2.67'); // 2.67499999… in binary
    expect(pyFixed(100 / 3, 2)).toBe('33.33');
    expect(pyFixed(11.0875, 3)).toBe('11.088'); // not an exact tie in binary
    expect(pyFixed(57.142857142857146, 3)).toBe('57.143');
    expect(pyFixed(Number.NaN, 3)).toBe('nan');
  });
});
