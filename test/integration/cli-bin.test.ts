/**
 * The `s5` command as users run it: the real bin (`node bin/s5.cjs …`, once `npx s5 …`) as a child
 * process, working directory outside the repository, no TypeScript loader in NODE_OPTIONS, its own
 * data folder. Every command and every input format the engine reads: WAV 16/24/float, RF64, FLAC,
 * Ogg Vorbis, MP3, and the FOA formats (ACN/SN3D, FuMa through --channel-format). Fixtures are made
 * here with sox (and an RF64 header written by hand from sox's WAV); expected values come from the
 * fixtures themselves (lengths, channels, the same samples in every lossless container, FuMa as a
 * remix of the ACN/SN3D file), the official example's `expected.txt` (independent numpy
 * evaluator) and `unzip -l`. Checked each time: exit status, files written, and stderr (the file
 * named in errors, never a stack trace).
 *
 * The bundle (dist/node, scripts/build-node.mjs) is built first and the suite runs it
 * (S5_CLI_FROM_SOURCE=0, since other edits to the sources would make bin/s5.cjs fall back to
 * them); the source fallback and bin/s5.cjs's choice between the two are tested separately.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 's5.cjs');
const EXAMPLE = path.join(ROOT, 'resources', 'examples', 'evaluate-2025');
const SECONDS = 3;
const RATE = 32000;

let dir: string;
let data: string;
const fx: Record<string, string> = {};

/** A user's shell: no loader options, no Vitest/tsx variables; our own data folder. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'NODE_ENV' && !k.startsWith('VITEST') && !k.startsWith('TSX')));
  return { ...env, S5_DATA_DIR: data, S5_CLI_FROM_SOURCE: '0', ...extra };
}

function s5(args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: userEnv(extra), encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 26 });
}

/** stderr of a user-facing run: `s5: …` lines only — no stack frames, no internal errors. */
function expectCleanStderr(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('internal error');
  for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^s5: (warning|error): /);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const jsonLines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** RF64 (EBU Tech 3306) of a WAV's fmt and data chunks: RIFF size and data size in a ds64 chunk. */
function writeRf64(fromWav: string, to: string): void {
  const wav = readFileSync(fromWav);
  const chunks = new Map<string, Buffer>();
  for (let o = 12; o + 8 <= wav.length; ) {
    const id = wav.toString('latin1', o, o + 4);
    const size = wav.readUInt32LE(o + 4);
    chunks.set(id, wav.subarray(o + 8, o + 8 + size));
    o += 8 + size + (size & 1);
  }
  const fmt = chunks.get('fmt ') as Buffer;
  const pcm = chunks.get('data') as Buffer;
  const frames = pcm.length / fmt.readUInt16LE(12); // block align
  const ds64 = Buffer.alloc(28);
  const total = 4 + (8 + 28) + (8 + fmt.length) + (8 + pcm.length);
  ds64.writeBigUInt64LE(BigInt(total), 0);
  ds64.writeBigUInt64LE(BigInt(pcm.length), 8);
  ds64.writeBigUInt64LE(BigInt(frames), 16);
  const head = (id: string, size: number) => {
    const b = Buffer.alloc(8);
    b.write(id, 0, 'latin1');
    b.writeUInt32LE(size, 4);
    return b;
  };
  writeFileSync(to, Buffer.concat([head('RF64', 0xffffffff), Buffer.from('WAVE', 'latin1'), head('ds64', 28), ds64, head('fmt ', fmt.length), fmt, head('data', 0xffffffff), pcm]));
}

beforeAll(() => {
  // The bundle the suite runs (a no-op when it is up to date).
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-node.mjs'), '--if-stale', '--quiet'], { stdio: 'inherit' });
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-cli-bin-'));
  data = path.join(dir, 'data');
  const sox = (...args: string[]) => execFileSync('sox', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // ACN/SN3D scene: W and Y carry two tones, Z and X noise (distinct content per channel).
  fx.wav16 = path.join(dir, 'scene16.wav');
  sox('-n', '-r', String(RATE), '-c', '4', '-b', '16', fx.wav16, 'synth', String(SECONDS), 'sine', '440', 'sine', '1000', 'pinknoise', 'brownnoise', 'vol', '0.3');
  fx.wav24 = path.join(dir, 'scene24.wav');
  sox(fx.wav16, '-b', '24', fx.wav24);
  fx.f32 = path.join(dir, 'scene-f32.wav');
  sox(fx.wav16, '-e', 'floating-point', '-b', '32', fx.f32);
  fx.rf64 = path.join(dir, 'scene-rf64.wav');
  writeRf64(fx.wav16, fx.rf64);
  fx.flac = path.join(dir, 'scene-flac.flac');
  execFileSync('flac', ['--silent', '-o', fx.flac, fx.wav16], { stdio: 'pipe' });
  fx.ogg = path.join(dir, 'scene-ogg.ogg');
  sox(fx.wav16, fx.ogg);
  fx.mp3 = path.join(dir, 'scene-mp3.mp3'); // MP3 carries at most 2 channels: W and Y
  sox(fx.wav16, '-c', '2', fx.mp3, 'remix', '1', '2');
  // FuMa (W X Y Z, W at -3 dB) of the same scene, as float so it converts back exactly.
  fx.fuma = path.join(dir, 'scene-fuma.wav');
  sox(fx.wav16, '-e', 'floating-point', '-b', '32', fx.fuma, 'remix', '1v0.7071067811865476', '4', '2', '3');
  fx.corrupt = path.join(dir, 'broken.ogg');
  writeFileSync(fx.corrupt, Buffer.concat([Buffer.from('OggS'), Buffer.alloc(4000, 7)]));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('s5 bin: help, version, usage errors', () => {
  it('--help and --version exit 0; a usage error exits 2 with a pointer to --help', () => {
    const help = s5(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: s5 <command> \[options\]/);
    for (const c of ['separate', 'tag', 'evaluate', 'submission', 'models', 'doctor']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    expect(help.stderr).toBe('');
    const version = s5(['--version']);
    expect(version.stdout).toBe(`s5 ${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
    const usage = s5(['separate', fx.wav16]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^s5: error: .*\nRun 's5 separate --help' for usage\.\n$/);
  });
});

describe('s5 tag: every input format, one process', () => {
  let results: Record<string, { recording: { path: string; channels: number; sample_rate: number; duration_s: number; channel_format: string }; labels: unknown[]; timeline: { probs: number[] }[] }>;
  let run: SpawnSyncReturns<string>;

  beforeAll(() => {
    const files = [fx.wav16, fx.wav24, fx.f32, fx.rf64, fx.flac, fx.ogg, fx.mp3];
    run = s5(['tag', ...files, '--json', '--threads', '2']);
    results = Object.fromEntries(jsonLines(run.stdout).map((r) => [r.recording.path, r]));
  }, 600_000);

  it('exits 0 with one JSON line per file, lengths and channels as written', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(Object.keys(results).sort()).toEqual([fx.wav16, fx.wav24, fx.f32, fx.rf64, fx.flac, fx.ogg, fx.mp3].sort());
    for (const f of [fx.wav16, fx.wav24, fx.f32, fx.rf64, fx.flac, fx.ogg]) {
      expect(results[f].recording, f).toMatchObject({ channels: 4, sample_rate: RATE, channel_format: 'foa-acn-sn3d' });
      expect(results[f].recording.duration_s, f).toBeCloseTo(SECONDS, 2);
      expect(results[f].timeline.length, f).toBeGreaterThan(0);
    }
    // MP3: 2 channels (encoder delay/padding may change the length by a frame or two).
    expect(results[fx.mp3].recording).toMatchObject({ channels: 2, sample_rate: RATE });
    expect(Math.abs(results[fx.mp3].recording.duration_s - SECONDS)).toBeLessThan(0.1);
  });

  it('the lossless containers decode to the same samples: identical tagger outputs', () => {
    const ref = results[fx.wav16].timeline.map((w) => w.probs);
    for (const f of [fx.wav24, fx.f32, fx.rf64, fx.flac]) {
      const probs = results[f].timeline.map((w) => w.probs);
      expect(probs.length, f).toBe(ref.length);
      probs.forEach((p, i) => p.forEach((x, k) => expect(Math.abs(x - ref[i][k]), `${f} window ${i} class ${k}`).toBeLessThan(1e-6)));
    }
  });

  it('stderr: only warnings about the 2-channel MP3, naming it', () => {
    expectCleanStderr(run.stderr);
    const warnings = run.stderr.split('\n').filter(Boolean);
    expect(warnings.length, run.stderr).toBeGreaterThan(0);
    for (const w of warnings) expect(w).toMatch(new RegExp(`^s5: warning: ${escape(fx.mp3)}: 2[- ]channel`));
  });
});

describe('s5 separate: every input format, one process', () => {
  let run: SpawnSyncReturns<string>;
  let out: string;

  beforeAll(() => {
    out = path.join(dir, 'sep-out');
    run = s5(['separate', fx.wav16, fx.wav24, fx.f32, fx.rf64, fx.flac, fx.ogg, fx.mp3, '-o', out, '--json', '--threads', '2']);
  }, 600_000);

  it('exits 0 and writes labels.json, labels.csv and one mono stem per listed stem for each file', () => {
    expect(run.status, run.stderr).toBe(0);
    expectCleanStderr(run.stderr);
    const lines = jsonLines(run.stdout);
    expect(lines.length).toBe(7);
    for (const r of lines) {
      const folder = path.join(out, r.recording.name);
      const labels = JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8'));
      expect(labels.recording.path).toBe(r.recording.path);
      expect(existsSync(path.join(folder, 'labels.csv'))).toBe(true);
      const stems = readdirSync(folder).filter((f) => f.endsWith('.wav')).sort();
      expect(stems).toEqual(labels.stems.map((s: { file: string }) => path.basename(s.file)).sort());
      for (const stem of stems) {
        // sox reads the stem back: mono, the model's rate, the recording's length.
        const info = execFileSync('soxi', [path.join(folder, stem)], { encoding: 'utf8' });
        expect(info).toMatch(/Channels\s+: 1\n/);
        const secs = Number(/Duration\s+: \d\d:\d\d:([\d.]+)/.exec(info)?.[1]);
        expect(Math.abs(secs - r.recording.duration_s)).toBeLessThan(0.01);
      }
    }
  });
});

describe('s5 tag --channel-format: FOA formats', () => {
  it('a FuMa file declared as foa-fuma tags like the ACN/SN3D original', () => {
    const r = s5(['tag', fx.fuma, fx.wav16, '--channel-format', 'foa-fuma', '--json', '--threads', '2']);
    // The ACN/SN3D file read as FuMa is a different signal; only the FuMa file is compared.
    expect(r.status, r.stderr).toBe(0);
    const [fuma] = jsonLines(r.stdout);
    expect(fuma.recording).toMatchObject({ path: fx.fuma, channel_format: 'foa-fuma' });
    const acn = jsonLines(s5(['tag', fx.wav16, '--json', '--threads', '2']).stdout)[0];
    expect(acn.recording.channel_format).toBe('foa-acn-sn3d');
    fuma.timeline.forEach((w: { probs: number[] }, i: number) =>
      w.probs.forEach((x, k) => expect(Math.abs(x - acn.timeline[i].probs[k]), `window ${i} class ${k}`).toBeLessThan(1e-4)),
    );
  });

  it('an unknown format is a usage error listing the accepted ones', () => {
    const r = s5(['tag', fx.wav16, '--channel-format', 'ambix']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/foa-acn-sn3d.*foa-fuma/s);
  });
});

describe('s5: data errors name the file, no stack trace', () => {
  it('a missing file and a corrupt Ogg file: exit 1, "s5: error: <file>: <problem>"', () => {
    const missing = path.join(dir, 'nope.flac');
    const a = s5(['tag', missing]);
    expect(a.status).toBe(1);
    expectCleanStderr(a.stderr);
    expect(a.stderr).toContain(`s5: error: ${missing}: `);
    const b = s5(['separate', fx.corrupt, '-o', path.join(dir, 'corrupt-out')]);
    expect(b.status).toBe(1);
    expectCleanStderr(b.stderr);
    expect(b.stderr).toContain(`s5: error: ${fx.corrupt}: `);
    expect(existsSync(path.join(dir, 'corrupt-out', 'broken', 'labels.json'))).toBe(false);
  });
});

describe('s5 evaluate and submission', () => {
  it('evaluate prints the scores of the independent evaluator (expected.txt)', () => {
    const r = s5(['evaluate', '--task', 'dcase2025t4', '--soundscapes', path.join(EXAMPLE, 'soundscape'), '--oracle', path.join(EXAMPLE, 'oracle_target'), '--estimates', path.join(EXAMPLE, 'estimate')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(EXAMPLE, 'expected.txt'), 'utf8'));
    // The example leaves one mixture without estimates on purpose; it is named.
    expectCleanStderr(r.stderr);
    expect(r.stderr).toMatch(/^s5: warning: 1 mixture without any estimate file .*: dev2025_0004\n$/);
  });

  it('submission writes the official archive: <A>_<B>_task4_<N>_out/eval_out/<scene>_<Label>.wav', () => {
    const zip = path.join(dir, 'Doe_Lab_task4_1_out.zip');
    const soundscapes = path.join(dir, 'soundscapes');
    mkdirSync(soundscapes);
    for (const f of readdirSync(path.join(EXAMPLE, 'soundscape')).sort().slice(0, 2)) cpSync(path.join(EXAMPLE, 'soundscape', f), path.join(soundscapes, f));
    const r = s5(['submission', '--task', 'dcase2025t4', '--soundscapes', soundscapes, '-o', zip, '--author', 'Doe', '--affiliation', 'Lab', '--number', '1', '--json', '--threads', '2']);
    expect(r.status, r.stderr).toBe(0);
    expectCleanStderr(r.stderr);
    const summary = JSON.parse(r.stdout);
    expect(summary.mixtures).toBe(2);
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').filter((l) => !l.endsWith('/'));
    expect(listing.length).toBe(summary.estimates);
    expect(listing.length).toBeGreaterThan(0); // 2025 rule: at least one label per mixture
    const scenes = readdirSync(soundscapes).map((f) => f.replace(/\.wav$/, ''));
    for (const entry of listing) {
      const m = /^Doe_Lab_task4_1_out\/eval_out\/(.+)_([A-Za-z]+)\.wav$/.exec(entry);
      expect(m, entry).not.toBeNull();
      expect(scenes).toContain(m?.[1]);
    }
  });
});

describe('s5 models and doctor', () => {
  it('list, import, info, activate, remove — in the user data folder', () => {
    const list = s5(['models', 'list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    const shipped = JSON.parse(list.stdout).models.filter((m: { source: string }) => m.source === 'shipped');
    const tagger = shipped.find((m: { kind: string; valid: boolean }) => m.kind === 'tagger' && m.valid);
    expect(tagger).toBeDefined();
    // A copy of the shipped tagger under another id.
    const copy = path.join(dir, 'my-tagger');
    cpSync(tagger.dir, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(copy, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify({ ...manifest, id: 'my-tagger', name: 'my copy' }));
    const imported = s5(['models', 'import', copy]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(existsSync(path.join(data, 'models', 'my-tagger', 'model.onnx'))).toBe(true);
    const info = s5(['models', 'info', 'my-tagger', '--json']);
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ id: 'my-tagger', valid: true, source: 'user' });
    expect(s5(['models', 'activate', 'my-tagger']).status).toBe(0);
    const active = JSON.parse(s5(['models', 'list', '--json']).stdout).models.find((m: { id: string }) => m.id === 'my-tagger');
    expect(active.active).toBe(true);
    const shippedRemove = s5(['models', 'remove', tagger.id]);
    expect(shippedRemove.status).toBe(1);
    expectCleanStderr(shippedRemove.stderr);
    expect(shippedRemove.stderr).toContain(tagger.id);
    const removed = s5(['models', 'remove', 'my-tagger']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(existsSync(path.join(data, 'models', 'my-tagger'))).toBe(false);
    const unknown = s5(['models', 'info', 'my-tagger']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('my-tagger');
  });

  it('doctor --json: ONNX Runtime runs, the shipped models are usable, the command runs from its bundle', () => {
    const r = s5(['doctor', '--json', '--threads', '2']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.onnxruntime.version).toMatch(/^\d+\.\d+/);
    expect(report.models.valid).toBeGreaterThanOrEqual(2);
    expect(report.cli).toEqual({ runs_from: 'bundle', file: path.join(ROOT, 'dist', 'node', 's5.js') });
  });
});

describe('the sources (no bundle) and npx', () => {
  it('from the sources through tsx, the decoders the bundle had trouble with work too (Ogg, FLAC, MP3)', () => {
    const r = s5(['tag', fx.ogg, fx.flac, fx.mp3, '--json', '--threads', '2'], { S5_CLI_FROM_SOURCE: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.recording.path)).toEqual([fx.ogg, fx.flac, fx.mp3]);
    expectCleanStderr(r.stderr);
  });

  it('npx s5 (the package bin, as installed) tags an Ogg file', () => {
    const r = spawnSync('npx', ['--yes', '--prefix', ROOT, 's5', 'tag', fx.ogg, '--threads', '2'], { cwd: dir, env: userEnv({ S5_CLI_FROM_SOURCE: undefined }), encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${escape(fx.ogg)}: `));
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('bin/s5.cjs: bundle when up to date, sources otherwise', () => {
  /** A copy of the bin in a stand-in checkout whose "bundle" and "sources" say which one ran. */
  function standIn(): { root: string; run: (env?: NodeJS.ProcessEnv) => string; touch: (rel: string, ms: number) => void } {
    const root = path.join(dir, `standin-${Math.random().toString(36).slice(2)}`);
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    mkdirSync(path.join(root, 'dist', 'node'), { recursive: true });
    mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
    cpSync(BIN, path.join(root, 'bin', 's5.cjs'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), '{"type":"commonjs"}');
    writeFileSync(path.join(root, 'src', 'cli', 'bin.ts'), "const from: string = 'sources';\nprocess.stdout.write(`${from} ${process.argv.slice(2).join(' ')}\\n`);\n");
    writeFileSync(path.join(root, 'dist', 'node', 's5.js'), "process.stdout.write(`bundle ${process.argv.slice(2).join(' ')}\\n`);\n");
    const builtAtMs = Date.now();
    const touch = (rel: string, ms: number) => utimesSync(path.join(root, rel), ms / 1000, ms / 1000);
    touch('src/cli/bin.ts', builtAtMs - 60_000);
    touch('package.json', builtAtMs - 60_000);
    writeFileSync(path.join(root, 'dist', 'node', 'build-info.json'), JSON.stringify({ builtAtMs, entries: { s5: 'src/cli/bin.ts' }, inputs: ['package.json', 'src/cli/bin.ts'] }));
    const run = (env: NodeJS.ProcessEnv = {}) =>
      execFileSync(process.execPath, [path.join(root, 'bin', 's5.cjs'), 'x', '--y'], { cwd: dir, env: userEnv({ S5_CLI_FROM_SOURCE: undefined, ...env }), encoding: 'utf8' });
    return { root, run, touch };
  }

  it('runs the bundle while no input is newer, the sources after an edit, and honours S5_CLI_FROM_SOURCE', () => {
    const t = standIn();
    expect(t.run()).toBe('bundle x --y\n');
    expect(t.run()).toBe('bundle x --y\n'); // second run: with the V8 code cache the first one saved
    expect(readdirSync(path.join(t.root, 'dist', 'node')).some((f) => f.endsWith('.cache'))).toBe(true);
    expect(t.run({ S5_CLI_FROM_SOURCE: '1' })).toBe('sources x --y\n');
    t.touch('src/cli/bin.ts', Date.now() + 1000); // edited after the build
    expect(t.run()).toBe('sources x --y\n');
    expect(t.run({ S5_CLI_FROM_SOURCE: '0' })).toBe('bundle x --y\n');
    rmSync(path.join(t.root, 'dist', 'node', 'build-info.json'));
    expect(t.run({ S5_CLI_FROM_SOURCE: '0' })).toBe('sources x --y\n'); // no build at all
  });

  it('passes the exit status of the sources through', () => {
    const t = standIn();
    writeFileSync(path.join(t.root, 'src', 'cli', 'bin.ts'), 'process.exitCode = 2;\n');
    const r = spawnSync(process.execPath, [path.join(t.root, 'bin', 's5.cjs')], { cwd: dir, env: userEnv({ S5_CLI_FROM_SOURCE: '1' }), encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});
