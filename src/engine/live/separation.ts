/**
 * The separator in a live session: a pass on the ring's latest window (clean mode's listen window,
 * or direct mode's shorter direction window; the separator's time axis is symbolic, so it runs on
 * any length), asked for the listened classes and, in the slots the last pass leaves free, the
 * other classes on now (the models were trained to be asked for every class present; a stem comes
 * out cleaner when its neighbours are asked for too); and the clean path's hop: the newest hop of
 * the listened stems, mixed, each under its verifier gate.
 */
import type { S5Label } from '../../shared/labels';
import { runSeparator, type PipelineModel } from '../pipeline/runners';
import type { AudioWindow } from '../pipeline/windower';
import type { ListenVerifier } from './listen-verify';
import type { PlanarRing } from './ring';

export interface SeparatedWindow {
  /** Stems in `labels` order (null: a class the model gave no stem for). */
  outputs: (Float32Array | null)[];
  /** The classes asked for: the listened ones first, then others that are on. */
  labels: S5Label[];
  ms: number;
}

/** A 4-channel window of `samples` frames, its data preallocated. */
export function makeWindow(samples: number): AudioWindow {
  return { index: 0, start: 0, valid: samples, channels: 4, samples, data: new Float32Array(4 * samples) };
}

/**
 * The separator on `win` filled from the ring's frames ending at `end` (model rate `rate`), asked
 * for `listen` and, in free slots, the classes in `active` it knows.
 */
export async function separateWindow(
  base: PipelineModel,
  ring: PlanarRing,
  win: AudioWindow,
  end: number,
  rate: number,
  listen: readonly S5Label[],
  active: readonly S5Label[],
): Promise<SeparatedWindow> {
  const sep: PipelineModel = { session: base.session, manifest: { ...base.manifest, window_seconds: win.samples / rate } };
  ring.copyWindow(end, win.samples, win.data);
  const slots = Math.max(1, base.manifest.slots);
  const free = Math.ceil(listen.length / slots) * slots - listen.length;
  const others = active.filter((l) => !listen.includes(l) && base.manifest.labels.includes(l)).slice(0, free);
  const labels = [...listen, ...others];
  const r = await runSeparator(sep, win, labels);
  return { ...r, labels };
}

/**
 * The clean path's hop from a separated window of W frames: the listened stems' last H + F
 * frames, summed, each times its verifier gate's ramp (when a verifier runs). The first H are
 * the block to play, the last F its continuation (ListenRouter.playClean crossfades them).
 */
export function mixCleanHop(
  sep: SeparatedWindow,
  listen: readonly S5Label[],
  gate: ListenVerifier | null,
  W: number,
  H: number,
  F: number,
): Float32Array {
  const mix = new Float32Array(H + F);
  for (const [i, o] of sep.outputs.entries()) {
    if (!o || !listen.includes(sep.labels[i])) continue;
    const g = gate?.ramp(sep.labels[i], H + F);
    for (let k = 0; k < H + F; k++) mix[k] += o[W - H - F + k] * (g ? g[k] : 1);
  }
  return mix;
}
