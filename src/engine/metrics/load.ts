/**
 * Loads one mixture's audio for evaluation and checks it the way the official loaders would need
 * it (they stack all signals, so everything must agree): every file at 32 kHz, every file of a
 * mixture with the soundscape's length, oracle targets mono. What is taken from each file:
 *   soundscape → channel 0 (W) only; any channel count is accepted, a count other than 4 is noted.
 *   oracle     → must be mono (a multi-channel oracle almost surely means a wrong folder).
 *   estimate   → mono; 2+ channels are averaged to mono with a note, as librosa.load(mono=True)
 *                in the official loaders does.
 * Audio decoding itself is the audio module's job (`AudioReader` is injectable for tests).
 */
import { S5Error } from '../../shared/errors';
import type { MixtureFiles, SourceFile } from './layout';
import type { LabeledSignal, MixtureSignals } from './types';
import { examples } from './wording';

/** The task's sample rate (s5-task.md §1). */
export const EVAL_SAMPLE_RATE = 32000;
/** Channels of a DCASE Task 4 soundscape (first-order Ambisonics). */
export const SOUNDSCAPE_CHANNELS = 4;

export interface DecodedAudio {
  sampleRate: number;
  /** Planar float32, one array per channel, all the same length. */
  data: Float32Array[];
}
export type AudioReader = (path: string) => Promise<DecodedAudio>;

/** Non-fatal findings collected over a whole run, reported once at the end. */
export class LoadNotes {
  private readonly soundscapeChannels = new Map<number, string[]>();
  private readonly averagedEstimates: string[] = [];

  noteSoundscapeChannels(channels: number, file: string): void {
    if (channels === SOUNDSCAPE_CHANNELS) return;
    const files = this.soundscapeChannels.get(channels) ?? [];
    files.push(file);
    this.soundscapeChannels.set(channels, files);
  }

  noteAveragedEstimate(file: string, channels: number): void {
    this.averagedEstimates.push(`${file} (${channels} ch)`);
  }

  warnings(): string[] {
    const out: string[] = [];
    for (const [channels, files] of this.soundscapeChannels) {
      out.push(
        `${files.length} soundscape(s) have ${channels} channel(s) instead of ${SOUNDSCAPE_CHANNELS}; channel 0 was used as the mixture: ${examples(files)}`,
      );
    }
    if (this.averagedEstimates.length > 0) {
      out.push(
        `${this.averagedEstimates.length} estimate(s) are not mono and were averaged to mono (as the official librosa loader does): ${examples(this.averagedEstimates)}`,
      );
    }
    return out;
  }
}

/** Reads and checks every file of one mixture; throws S5Error naming the first bad file. */
export async function loadMixtureSignals(files: MixtureFiles, read: AudioReader, notes: LoadNotes): Promise<MixtureSignals> {
  const scape = await readChecked(files.soundscape, read);
  notes.noteSoundscapeChannels(scape.data.length, files.soundscape);
  const mixture = scape.data[0];
  const references: LabeledSignal[] = [];
  for (const source of files.oracle) {
    references.push({ label: source.label, signal: await loadReference(source, mixture.length, read) });
  }
  const estimates: LabeledSignal[] = [];
  for (const source of files.estimates) {
    estimates.push({ label: source.label, signal: await loadEstimate(source, mixture.length, read, notes) });
  }
  return { mixture, references, estimates };
}

async function loadReference(source: SourceFile, frames: number, read: AudioReader): Promise<Float32Array> {
  const audio = await readChecked(source.path, read);
  if (audio.data.length !== 1) {
    throw new S5Error('bad_input', `oracle target has ${audio.data.length} channels; it must be mono`, source.path);
  }
  checkLength(audio, frames, source.path);
  return audio.data[0];
}

async function loadEstimate(source: SourceFile, frames: number, read: AudioReader, notes: LoadNotes): Promise<Float32Array> {
  const audio = await readChecked(source.path, read);
  checkLength(audio, frames, source.path);
  if (audio.data.length === 1) return audio.data[0];
  notes.noteAveragedEstimate(source.path, audio.data.length);
  return averageChannels(audio.data);
}

/** Mean over channels, per sample (librosa.to_mono). */
export function averageChannels(channels: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0].length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i];
    out[i] = sum / channels.length;
  }
  return out;
}

/** Reads a file, turning reader failures into S5Errors that name it, and checks the rate. */
async function readChecked(file: string, read: AudioReader): Promise<DecodedAudio> {
  let audio: DecodedAudio;
  try {
    audio = await read(file);
  } catch (err) {
    if (err instanceof S5Error) throw err.file === undefined ? new S5Error(err.code, err.message, file) : err;
    throw new S5Error('bad_input', `cannot read audio: ${err instanceof Error ? err.message : String(err)}`, file);
  }
  if (audio.sampleRate !== EVAL_SAMPLE_RATE) {
    throw new S5Error('bad_input', `sample rate is ${audio.sampleRate} Hz; the task needs ${EVAL_SAMPLE_RATE} Hz`, file);
  }
  if (audio.data.length === 0) throw new S5Error('bad_input', 'file has no audio channel', file);
  return audio;
}

function checkLength(audio: DecodedAudio, frames: number, file: string): void {
  const n = audio.data[0].length;
  if (n !== frames) {
    throw new S5Error(
      'bad_input',
      `has ${n} samples but its soundscape has ${frames}; all files of a mixture must have the same length`,
      file,
    );
  }
}
