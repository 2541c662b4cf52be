/** Official-layout reader: name rules of both editions, the prefix-collision fix and the folder errors. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S5Error } from '../../../src/shared/errors';
import { attributeFiles, parseSourceName, scanLayout } from '../../../src/engine/metrics/layout';

describe('parseSourceName', () => {
  it('2025: <name>_<Label>.wav only', () => {
    expect(parseSourceName('dcase2025t4', 'mix_0001', 'mix_0001_Speech.wav')).toEqual({ ok: true, label: 'Speech', index: null });
    expect(parseSourceName('dcase2025t4', 'mix_0001', 'mix_0001_Foo.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/label "Foo" is not one of the 18/) });
    expect(parseSourceName('dcase2025t4', 'mix_0001', 'mix_0001_0_Speech.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/--task dcase2026t4/) });
    expect(parseSourceName('dcase2025t4', 'mix_0001', 'mix_0001.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/unparsable/) });
    expect(parseSourceName('dcase2025t4', 'mix_0001', 'mix_0001_.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/unparsable/) });
  });

  it('2026: the official regular expression ^<name>(?:_(\\d+))?_(.+)\\.wav$', () => {
    expect(parseSourceName('dcase2026t4', 'm', 'm_Speech.wav')).toEqual({ ok: true, label: 'Speech', index: null });
    expect(parseSourceName('dcase2026t4', 'm', 'm_2_Speech.wav')).toEqual({ ok: true, label: 'Speech', index: 2 });
    expect(parseSourceName('dcase2026t4', 'm', 'm_12_Dishes.wav')).toEqual({ ok: true, label: 'Dishes', index: 12 });
    expect(parseSourceName('dcase2026t4', 'm', 'm_1_2_Speech.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/"2_Speech"/) });
    expect(parseSourceName('dcase2026t4', 'm', 'm_x_Speech.wav')).toMatchObject({ ok: false, problem: expect.stringMatching(/"x_Speech"/) });
    expect(parseSourceName('dcase2026t4', 'm', 'm_speech.wav')).toMatchObject({ ok: false }); // case-sensitive
  });
});

describe('attributeFiles', () => {
  it('resolves prefix collisions: the longest valid soundscape name wins', () => {
    const warnings: string[] = [];
    const names = ['mix_1', 'mix_10'];
    const files = ['mix_10_Speech.wav', 'mix_1_Dishes.wav', 'mix_10_Typing.wav'];
    const m = attributeFiles('dcase2025t4', names, files, '/e', 'estimate', warnings);
    expect(m.get('mix_1')!.map((f) => f.label)).toEqual(['Dishes']);
    expect(m.get('mix_10')!.map((f) => f.label)).toEqual(['Speech', 'Typing']);
    expect(warnings).toEqual([]);
  });

  it('2026: a name that fits two soundscapes goes to the longer one, with a warning', () => {
    const warnings: string[] = [];
    const m = attributeFiles('dcase2026t4', ['a', 'a_1'], ['a_1_Speech.wav'], '/e', 'estimate', warnings);
    expect(m.get('a_1')!.map((f) => f.label)).toEqual(['Speech']);
    expect(m.has('a')).toBe(false);
    expect(warnings[0]).toMatch(/fits soundscapes "a_1" and "a"/);
  });

  it('keeps files sorted by name within a mixture (the 2026 tie order)', () => {
    const m = attributeFiles('dcase2026t4', ['s'], ['s_1_Speech.wav', 's_0_Speech.wav', 's_Cough.wav'], '/o', 'oracle', []);
    expect(m.get('s')!.map((f) => path.basename(f.path))).toEqual(['s_0_Speech.wav', 's_1_Speech.wav', 's_Cough.wav']);
  });

  it('ignores files of no soundscape, with a warning', () => {
    const warnings: string[] = [];
    const m = attributeFiles('dcase2025t4', ['s'], ['other_Speech.wav'], '/o', 'oracle', warnings);
    expect(m.size).toBe(0);
    expect(warnings[0]).toMatch(/1 oracle file matching no soundscape ignored: other_Speech\.wav/);
  });

  it('errors on the first bad name, naming the file and counting the others', () => {
    const call = () => attributeFiles('dcase2025t4', ['s'], ['s_Bad.wav', 's_Worse.wav'], '/e', 'estimate', []);
    expect(call).toThrow(S5Error);
    try {
      call();
    } catch (err) {
      expect((err as S5Error).file).toBe(path.join('/e', 's_Bad.wav'));
      expect((err as S5Error).message).toMatch(/label "Bad".*1 more file/);
    }
  });
});

describe('scanLayout', () => {
  let root: string;
  const touch = (rel: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), '');
  };
  const req = (task: 'dcase2025t4' | 'dcase2026t4') => ({
    task,
    soundscapes: path.join(root, 'soundscape'),
    oracle: path.join(root, 'oracle_target'),
    estimates: path.join(root, 'estimate'),
  });
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 's5-layout-'));
    for (const f of ['soundscape/b.wav', 'soundscape/a.wav', 'soundscape/notes.txt', 'oracle_target/a_Speech.wav', 'oracle_target/b_Dishes.wav', 'estimate/a_Speech.wav']) touch(f);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists mixtures in sorted order with their files, warns about missing estimates', async () => {
    const layout = await scanLayout(req('dcase2025t4'));
    expect(layout.mixtures.map((m) => [m.name, m.oracle.length, m.estimates.length])).toEqual([['a', 1, 1], ['b', 1, 0]]);
    expect(layout.warnings.join('\n')).toMatch(/1 mixture without any estimate file.*: b/);
  });

  it('missing folder → not_found naming the folder', async () => {
    await expect(scanLayout({ ...req('dcase2025t4'), estimates: path.join(root, 'nope') })).rejects.toMatchObject({
      code: 'not_found',
      file: path.join(root, 'nope'),
    });
  });

  it('a file instead of a folder → bad_input', async () => {
    await expect(scanLayout({ ...req('dcase2025t4'), oracle: path.join(root, 'soundscape/a.wav') })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/not a folder/) });
  });

  it('2025: a soundscape without oracle file is an error naming the soundscape', async () => {
    rmSync(path.join(root, 'oracle_target/b_Dishes.wav'));
    await expect(scanLayout(req('dcase2025t4'))).rejects.toMatchObject({
      code: 'bad_input',
      file: path.join(root, 'soundscape', 'b.wav'),
      message: expect.stringMatching(/no oracle file b_<Label>\.wav/),
    });
  });

  it('2026: a soundscape without oracle file is a zero-target scene', async () => {
    rmSync(path.join(root, 'oracle_target/b_Dishes.wav'));
    const layout = await scanLayout(req('dcase2026t4'));
    expect(layout.mixtures[1]).toMatchObject({ name: 'b', oracle: [], estimates: [] });
    expect(layout.warnings).toEqual([]); // no estimate for an empty scene is the right answer
  });

  it('an oracle folder that matches nothing is an error in both tasks', async () => {
    rmSync(path.join(root, 'oracle_target'), { recursive: true });
    mkdirSync(path.join(root, 'oracle_target'));
    await expect(scanLayout(req('dcase2026t4'))).rejects.toMatchObject({ message: expect.stringMatching(/no oracle file matches any soundscape/) });
  });

  it('an empty soundscape folder is an error', async () => {
    rmSync(path.join(root, 'soundscape'), { recursive: true });
    mkdirSync(path.join(root, 'soundscape'));
    await expect(scanLayout(req('dcase2025t4'))).rejects.toMatchObject({ message: expect.stringMatching(/no soundscapes/) });
  });
});
