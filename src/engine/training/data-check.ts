/**
 * Checks a run's data and rooms before it starts, so a user sees every problem at once instead of
 * a trainer traceback: a user folder `ClassName/*.wav` (unknown class names with the nearest
 * accepted name, unreadable files with the decoder's reason, files per class), the official DCASE
 * `dev_set` layout (spec s5-task.md §8.1), the built-in library, and an impulse-response folder.
 * Audio files are probed with the engine's own decoders (header + format checks).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrainRoomsSchema, arrayShortName, describeArray, type DataCheck, type TrainData, type TrainRooms } from '../../shared/api-train';
import { S5_LABELS } from '../../shared/labels';
import { probeAudio } from '../audio';
import { arrayBankPlan, isArrayRooms } from './array-bank';

const AUDIO_EXT = new Set(['.wav', '.flac', '.ogg', '.oga', '.mp3']);
const ACCEPTED = [...S5_LABELS] as string[];

function empty(what: string): DataCheck {
  return { ok: false, what, classes: [], unknown: [], unreadable: [], errors: [], warnings: [], accepted: ACCEPTED };
}

function finish(check: DataCheck): DataCheck {
  check.ok = check.errors.length === 0 && check.unknown.length === 0 && check.unreadable.length === 0;
  return check;
}

/** Edit distance, case-insensitive (for "did you mean"). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export function nearestLabel(name: string): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const label of ACCEPTED) {
    const d = distance(name, label);
    if (d < bestD) {
      bestD = d;
      best = label;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function subdirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
}

/** Audio files under `dir` (recursive). */
async function audioFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await audioFiles(p)));
    else if (AUDIO_EXT.has(path.extname(d.name).toLowerCase())) out.push(p);
  }
  return out.sort();
}

/** Probes `files`; the readable count, and each unreadable file with the reason. */
async function probeAll(files: string[], check: DataCheck): Promise<number> {
  let ok = 0;
  for (const file of files) {
    try {
      const info = await probeAudio(file);
      if (info.frames === 0) check.unreadable.push({ file, reason: 'no samples' });
      else ok++;
    } catch (e) {
      check.unreadable.push({ file, reason: (e as Error).message.replace(`${file}: `, '').slice(0, 300) });
    }
  }
  return ok;
}

/** `FOLDER/ClassName/*.wav`: every sub-folder must be a class name; every file must decode. */
export async function checkUserFolder(folder: string): Promise<DataCheck> {
  const check = empty(`user folder ${folder}`);
  if (!(await isDir(folder))) {
    check.errors.push(`${folder}: no such folder (expected ${path.join(folder, 'ClassName', '*.wav')})`);
    return finish(check);
  }
  const names = await subdirs(folder);
  for (const name of names) {
    if (!ACCEPTED.includes(name)) {
      check.unknown.push({ name, suggestion: nearestLabel(name) });
      continue;
    }
    const files = await audioFiles(path.join(folder, name));
    const n = await probeAll(files, check);
    check.classes.push({ name, files: n });
    if (files.length === 0) check.warnings.push(`${path.join(folder, name)}: no audio files (${[...AUDIO_EXT].join(', ')})`);
  }
  if (names.length === 0 || check.classes.every((c) => c.files === 0) && check.unknown.length === 0) {
    check.errors.push(`${folder}: no ClassName/*.wav clips found; sub-folders must be named after the classes: ${ACCEPTED.join(', ')}`);
  }
  if (check.unknown.length) {
    check.errors.push(`${folder}: ${check.unknown.length} folder name(s) are not class names (${check.unknown.map((u) => u.suggestion ? `${u.name} → ${u.suggestion}?` : u.name).join(', ')}); accepted: ${ACCEPTED.join(', ')}`);
  }
  return finish(check);
}

/**
 * The official `dev_set` (spec §8.1): sound_event/{train,valid}/<Label>/ with the 18 labels,
 * room_ir/, noise/, interference/, and test/soundscape + test/oracle_target (what a run trains and
 * validates on). Soundscapes are probed; targets must be named `<soundscape>_<Label>.wav`.
 */
export async function checkDevSet(root: string): Promise<DataCheck> {
  const check = empty(`DCASE dev_set ${root}`);
  if (!(await isDir(root))) {
    check.errors.push(`${root}: no such folder (expected the DCASE dev_set folder: sound_event/, room_ir/, noise/, interference/, test/)`);
    return finish(check);
  }
  for (const sub of ['sound_event', 'room_ir', 'noise', 'interference', 'test/soundscape', 'test/oracle_target']) {
    if (!(await isDir(path.join(root, sub)))) check.errors.push(`${path.join(root, sub)}: missing (spec §8.1 layout)`);
  }
  const counts = new Map<string, number>();
  for (const split of ['train', 'valid']) {
    const dir = path.join(root, 'sound_event', split);
    if (!(await isDir(dir))) {
      if (await isDir(path.join(root, 'sound_event'))) check.errors.push(`${dir}: missing`);
      continue;
    }
    for (const name of await subdirs(dir)) {
      if (!ACCEPTED.includes(name)) {
        if (!check.unknown.some((u) => u.name === name)) check.unknown.push({ name, suggestion: nearestLabel(name) });
        continue;
      }
      counts.set(name, (counts.get(name) ?? 0) + (await audioFiles(path.join(dir, name))).length);
    }
  }
  const missing = ACCEPTED.filter((l) => !counts.has(l));
  if (counts.size > 0 && missing.length) check.warnings.push(`sound_event has no folder for: ${missing.join(', ')}`);
  const soundscapes = path.join(root, 'test', 'soundscape');
  const targets = path.join(root, 'test', 'oracle_target');
  if ((await isDir(soundscapes)) && (await isDir(targets))) {
    const mixes = (await readdir(soundscapes)).filter((f) => f.toLowerCase().endsWith('.wav')).sort();
    if (mixes.length === 0) check.errors.push(`${soundscapes}: no .wav soundscapes`);
    await probeAll(mixes.map((m) => path.join(soundscapes, m)), check);
    const stems = new Set(mixes.map((m) => m.slice(0, -4)));
    for (const t of (await readdir(targets)).filter((f) => f.toLowerCase().endsWith('.wav'))) {
      const m = /^(.*)_([A-Za-z]+)\.wav$/i.exec(t);
      if (!m || !stems.has(m[1])) {
        check.errors.push(`${path.join(targets, t)}: not <soundscape>_<Label>.wav for a soundscape in ${soundscapes}`);
        continue;
      }
      if (!ACCEPTED.includes(m[2])) {
        if (!check.unknown.some((u) => u.name === m[2])) check.unknown.push({ name: m[2], suggestion: nearestLabel(m[2]) });
        continue;
      }
      counts.set(m[2], counts.get(m[2]) ?? 0);
    }
    check.classes.push({ name: 'test soundscapes', files: mixes.length });
  }
  for (const [name, files] of [...counts].sort()) check.classes.push({ name, files });
  return finish(check);
}

/** The built-in library: `library.json` must exist (built by `s5trainer library build`), rooms too. */
export async function checkLibrary(libraryDir: string, roomsDir: string | null): Promise<DataCheck> {
  const check = empty(`sound library ${libraryDir}`);
  if (!(await stat(path.join(libraryDir, 'library.json')).catch(() => null))) {
    check.errors.push(`${libraryDir}: no library.json — build the built-in library first: \`PYTHONPATH=trainer /usr/bin/python3 -m s5trainer library build --out ${libraryDir}\` (downloads Debian sound packages, ~10 min)`);
  }
  if (roomsDir && !(await stat(path.join(roomsDir, 'rooms.json')).catch(() => null))) {
    check.errors.push(`${roomsDir}: no rooms.json — simulate the room bank first: \`PYTHONPATH=trainer /usr/bin/python3 -m s5trainer rooms bank --n 200 --out ${roomsDir}\``);
  }
  return finish(check);
}

/** The FOA bank a library run needs (null: the rooms come from elsewhere — an IR folder or an array bank built before the run). */
function foaBankDir(dataDir: string, rooms: TrainRooms): string | null {
  return rooms.source === 'simulated' && rooms.array.kind === 'foa' ? path.join(dataDir, 'rooms', 'default') : null;
}

export async function checkData(data: TrainData, dataDir: string, rooms: TrainRooms): Promise<DataCheck> {
  if (isArrayRooms(rooms) && (data.source === 'toy' || data.source === 'dcase')) {
    const c = empty(data.source === 'toy' ? 'toy tone scenes' : `DCASE dev_set ${data.path}`);
    c.errors.push(`a ${arrayShortName(rooms.array)} needs scenes rendered with its simulated rooms: choose the built-in library or your clips (${data.source === 'toy' ? 'toy scenes use no rooms' : 'the dev_set is recorded in FOA'}), or FOA rooms`);
    return finish(c);
  }
  switch (data.source) {
    case 'toy': {
      const c = empty('toy tone scenes (no files)');
      c.warnings.push('toy scenes check the set-up; a model trained on them is not useful for real sounds');
      return finish(c);
    }
    case 'folder': {
      const c = await checkUserFolder(data.path);
      const lib = await checkLibrary(path.join(dataDir, 'library'), foaBankDir(dataDir, rooms));
      c.errors.push(...lib.errors);
      return finish(c);
    }
    case 'dcase':
      return checkDevSet(data.path);
    case 'library':
      return checkLibrary(data.path ?? path.join(dataDir, 'library'), foaBankDir(dataDir, rooms));
  }
}

/**
 * Rooms: a simulated array (its geometry, with one message per problem, and whether its bank is
 * built yet for `rate`), the FOA bank, or a folder of impulse responses (4-channel WAV or SOFA).
 */
export async function checkRooms(raw: unknown, dataDir: string, rate: number): Promise<DataCheck> {
  const parsed = TrainRoomsSchema.safeParse(raw);
  if (!parsed.success) {
    const c = empty('rooms');
    c.errors.push(...parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`));
    return finish(c);
  }
  const rooms = parsed.data;
  if (isArrayRooms(rooms)) {
    const bank = await arrayBankPlan(dataDir, rooms.array, rate, rooms.bank);
    const c = empty(`simulated rooms for a ${describeArray(rooms.array)}`);
    if (!bank.ready) c.warnings.push(`${bank.dir}: no room bank for this array at ${rate} Hz yet; it is simulated before the run (${rooms.bank.rooms} rooms × ${rooms.bank.positions} positions, once)`);
    return finish(c);
  }
  if (rooms.source === 'simulated') {
    const dir = path.join(dataDir, 'rooms', 'default');
    const c = empty(`simulated FOA rooms ${dir}`);
    if (!(await stat(path.join(dir, 'rooms.json')).catch(() => null))) {
      c.warnings.push(`${dir}: no room bank yet; runs on the library need one (\`s5trainer rooms bank --n 200\`); toy scenes do not`);
    }
    return finish(c);
  }
  const c = empty(`impulse responses ${rooms.path}`);
  if (!(await isDir(rooms.path))) {
    c.errors.push(`${rooms.path}: no such folder (expected 4-channel *.wav or *.sofa impulse responses)`);
    return finish(c);
  }
  const all = (await readdir(rooms.path)).sort();
  const sofa = all.filter((f) => f.toLowerCase().endsWith('.sofa'));
  const wavs = all.filter((f) => f.toLowerCase().endsWith('.wav')).map((f) => path.join(rooms.path, f));
  let fourCh = 0;
  for (const file of wavs) {
    try {
      const info = await probeAudio(file);
      if (info.channels !== 4) c.unreadable.push({ file, reason: `${info.channels} channels; impulse responses need 4 (FOA or a 4-mic array)` });
      else fourCh++;
    } catch (e) {
      c.unreadable.push({ file, reason: (e as Error).message.slice(0, 300) });
    }
  }
  c.classes.push({ name: 'WAV impulse responses', files: fourCh }, { name: 'SOFA files', files: sofa.length });
  if (fourCh + sofa.length === 0) c.errors.push(`${rooms.path}: no 4-channel .wav or .sofa impulse responses`);
  return finish(c);
}
