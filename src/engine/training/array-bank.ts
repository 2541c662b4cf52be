/**
 * Rooms for a microphone array other than FOA (tetrahedral, square or a custom 4-mic geometry):
 * the run's preparation step simulates a room bank for that array once
 * (`s5trainer rooms bank --array tetra:R | square:SIDE | geom:…`) into
 * `<data>/rooms/array-<hash of spec, rate and bank size>` and reuses it while it is complete
 * (`rooms.json` written last by the trainer; an interrupted build resumes room by room).
 *
 * A model trained on such rooms takes raw capsule signals, not FOA: after export its manifest is
 * marked `channel_format: 'other'` and its provenance names the array (`markArrayModel`).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  arraySpecArg, describeArray, type TrainArray, type TrainRequestParsed,
} from '../../shared/api-train';
import { writeFileAtomic, writeJsonAtomic } from '../atomic-write';

export type BankSize = Extract<TrainRequestParsed['rooms'], { source: 'simulated' }>['bank'];

export interface ArrayBankPlan {
  /** The bank folder (`<data>/rooms/array-<hash>`). */
  dir: string;
  /** true when `rooms.json` exists: no build needed. */
  ready: boolean;
  /** s5trainer argv that builds (or completes) the bank. */
  build: string[];
}

/** True for arrays that need their own bank (everything but FOA). */
type SimulatedRooms = Extract<TrainRequestParsed['rooms'], { source: 'simulated' }>;
export type ArrayRooms = SimulatedRooms & { array: Exclude<TrainArray, { kind: 'foa' }> };

export function isArrayRooms(rooms: TrainRequestParsed['rooms']): rooms is ArrayRooms {
  return rooms.source === 'simulated' && rooms.array.kind !== 'foa';
}

export function arrayBankDir(dataDir: string, array: TrainArray, rate: number, bank: BankSize): string {
  const key = `${arraySpecArg(array)}|${rate}|${bank.rooms}|${bank.positions}|${bank.max_seconds}`;
  return path.join(dataDir, 'rooms', `array-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`);
}

export async function arrayBankPlan(dataDir: string, array: TrainArray, rate: number, bank: BankSize): Promise<ArrayBankPlan> {
  const dir = arrayBankDir(dataDir, array, rate, bank);
  const ready = Boolean(await stat(path.join(dir, 'rooms.json')).catch(() => null));
  return {
    dir, ready,
    build: [
      'rooms', 'bank', '--n', String(bank.rooms), '--positions', String(bank.positions), '--max-seconds', String(bank.max_seconds),
      '--rate', String(rate), '--seed', '0', '--array', arraySpecArg(array), '--out', dir,
    ],
  };
}

/**
 * Marks an exported model as trained on an omni array: `channel_format` 'other' (raw capsule
 * signals, no FOA conversion or direction in the engine) and the array in `provenance.data` and the
 * model card. Written by temp + rename before the model is registered.
 */
export async function markArrayModel(exportDir: string, array: TrainArray): Promise<void> {
  const file = path.join(exportDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { provenance?: Record<string, unknown> };
  const line = `rooms simulated for a ${describeArray(array)} (s5trainer --array ${arraySpecArg(array)}); input = the 4 capsule signals, not FOA`;
  const prov = manifest.provenance ?? {};
  const before = typeof prov.data === 'string' ? prov.data : '';
  manifest.channel_format = 'other';
  manifest.provenance = { ...prov, data: before.includes(line) ? before : before ? `${before}; ${line}` : line };
  await writeJsonAtomic(file, manifest);
  const card = path.join(exportDir, 'MODEL_CARD.md');
  const text = await readFile(card, 'utf8').catch(() => null);
  if (text !== null && !text.includes(line)) {
    await writeFileAtomic(card, `${text.replace(/\(foa-acn-sn3d\)/g, '(other)').trimEnd()}\n\nMicrophone array: ${line}.\n`);
  }
}
