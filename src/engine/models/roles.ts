/**
 * What a manifest must say for the engine to know how to run the model. Roles are read by
 * POSITION, never by tensor name (exporters may name tensors as they like):
 *
 *   tagger     input 0  mixture        [batch, channels, samples]
 *              output 0 probabilities  [batch, labels]            sigmoid per class (multi-label)
 *                                   or [batch, slots, labels + 1] per-slot distribution, last = silence
 *   separator  input 0  mixture        [batch, channels, samples]
 *              input 1  label vector   [batch, slots · labels]    concatenated one-hots
 *              output 0 waveforms      [batch, slots, samples]
 *   verifier   a tagger with a `verification` block: input 0 one stem [batch, 1, samples]
 *              (channels 1, 'mono'), output 0 probabilities [batch, labels]
 *
 * `samples` may be symbolic or fixed to sample_rate · window_seconds. Also checks that a tagger and a
 * separator can work as a pair. Every problem is a sentence naming the field and what is accepted.
 */
import type { ChannelFormat } from '../../shared/audio';
import { isVerifier, type ModelManifest, type TensorSpec } from '../../shared/manifest';

export type TaggerOutputKind = 'multilabel' | 'slots';

/** Samples per model window. */
export function windowSamples(m: Pick<ModelManifest, 'sample_rate' | 'window_seconds'>): number {
  return Math.round(m.sample_rate * m.window_seconds);
}

/** How a tagger's output 0 is to be read (by its rank). */
export function taggerOutputKind(m: ModelManifest): TaggerOutputKind {
  return m.outputs[0].shape.length === 3 ? 'slots' : 'multilabel';
}

/** Number of slots of a slot tagger's output (from the shape when fixed, else the manifest's slots). */
export function taggerSlots(m: ModelManifest): number {
  const d = m.outputs[0].shape[1];
  return taggerOutputKind(m) === 'slots' && typeof d === 'number' ? d : m.slots;
}

function describe(kind: 'input' | 'output', i: number, t: TensorSpec): string {
  return `${kind} ${i} '${t.name}'`;
}

function checkDim(problems: string[], what: string, dim: number | string | undefined, expected: number, meaning: string): void {
  if (typeof dim === 'number' && dim !== expected) problems.push(`${what} dimension is ${dim}, but ${meaning} is ${expected}`);
}

function checkFloat(problems: string[], kind: 'input' | 'output', i: number, t: TensorSpec): void {
  if (t.dtype !== 'float32') problems.push(`${describe(kind, i, t)} is ${t.dtype}; the engine feeds and reads float32`);
}

/** Problems with a manifest's roles (empty = the engine can run it). */
export function checkRoles(m: ModelManifest): string[] {
  const problems: string[] = [];
  const samples = m.sample_rate * m.window_seconds;
  if (Math.abs(samples - Math.round(samples)) > 1e-6) {
    problems.push(`sample_rate × window_seconds = ${samples} is not a whole number of samples`);
  }
  const W = windowSamples(m);
  if (!((m.channels === 4 && (m.channel_format === 'foa-acn-sn3d' || m.channel_format === 'other')) || (m.channels === 1 && m.channel_format === 'mono'))) {
    problems.push(
      `channels ${m.channels} with channel_format '${m.channel_format}' is not supported: the engine feeds 4-channel FOA in ACN/SN3D (channel_format 'foa-acn-sn3d'), the 4 raw channels of a microphone array (channels 4, 'other') or the W channel alone (channels 1, 'mono')`,
    );
  }
  const nLabels = m.labels.length;
  const wantInputs = m.kind === 'tagger' ? 1 : 2;
  if (m.inputs.length !== wantInputs) {
    problems.push(`a ${m.kind} has ${wantInputs} input${wantInputs > 1 ? 's' : ''} (${m.kind === 'tagger' ? 'mixture' : 'mixture, label vector'}); the manifest lists ${m.inputs.length}`);
  }
  const mix = m.inputs[0];
  if (mix) {
    checkFloat(problems, 'input', 0, mix);
    if (mix.shape.length !== 3) problems.push(`${describe('input', 0, mix)} must be [batch, channels, samples]; the manifest gives rank ${mix.shape.length}`);
    else {
      checkDim(problems, `${describe('input', 0, mix)} channel`, mix.shape[1], m.channels, 'the manifest\'s channels');
      checkDim(problems, `${describe('input', 0, mix)} sample`, mix.shape[2], W, 'sample_rate × window_seconds');
    }
  }
  const out = m.outputs[0];
  checkFloat(problems, 'output', 0, out);
  if (isVerifier(m)) {
    if (m.channels !== 1 || m.channel_format !== 'mono') problems.push(`a verifier (a manifest with a verification block) classifies one stem: channels 1 with channel_format 'mono' (the manifest gives ${m.channels}, '${m.channel_format}')`);
    if (out.shape.length !== 2) problems.push(`${describe('output', 0, out)} of a verifier must be [batch, labels]; the manifest gives rank ${out.shape.length}`);
  }
  if (m.kind === 'tagger') {
    if (!m.decision) problems.push('a tagger needs a decision rule (decision.threshold, min_events, max_events)');
    if (out.shape.length === 2) {
      checkDim(problems, `${describe('output', 0, out)} class`, out.shape[1], nLabels, 'the number of labels');
      if (m.decision && m.decision.max_events > nLabels) problems.push(`decision.max_events ${m.decision.max_events} exceeds the ${nLabels} labels`);
    } else if (out.shape.length === 3) {
      if (m.task === 'dcase2025t4') problems.push(`${describe('output', 0, out)} has per-slot outputs [batch, slots, labels + 1], which only dcase2026t4 taggers use; a dcase2025t4 tagger outputs [batch, labels]`);
      checkDim(problems, `${describe('output', 0, out)} class`, out.shape[2], nLabels + 1, 'the number of labels + 1 (silence)');
      checkDim(problems, `${describe('output', 0, out)} slot`, out.shape[1], m.slots, 'the manifest\'s slots');
      if (m.decision && m.decision.max_events > taggerSlots(m)) problems.push(`decision.max_events ${m.decision.max_events} exceeds the ${taggerSlots(m)} output slots`);
    } else {
      problems.push(`${describe('output', 0, out)} must be [batch, labels] or [batch, slots, labels + 1]; the manifest gives rank ${out.shape.length}`);
    }
  } else {
    const query = m.inputs[1];
    if (query) {
      checkFloat(problems, 'input', 1, query);
      if (query.shape.length !== 2) problems.push(`${describe('input', 1, query)} must be [batch, slots · labels]; the manifest gives rank ${query.shape.length}`);
      else checkDim(problems, `${describe('input', 1, query)} query`, query.shape[1], m.slots * nLabels, 'slots × labels');
    }
    if (out.shape.length !== 3) problems.push(`${describe('output', 0, out)} must be [batch, slots, samples]; the manifest gives rank ${out.shape.length}`);
    else {
      checkDim(problems, `${describe('output', 0, out)} slot`, out.shape[1], m.slots, 'the manifest\'s slots');
      checkDim(problems, `${describe('output', 0, out)} sample`, out.shape[2], W, 'sample_rate × window_seconds');
    }
  }
  return problems;
}

/** Whether a tagger and a separator can run as a pair: errors stop it, warnings are reported. */
export function checkPair(tagger: ModelManifest, separator: ModelManifest): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (tagger.kind !== 'tagger') errors.push(`'${tagger.id}' is a ${tagger.kind}, not a tagger`);
  else if (isVerifier(tagger)) errors.push(`'${tagger.id}' is a verifier (it classifies stems), not a mixture tagger`);
  if (separator.kind !== 'separator') errors.push(`'${separator.id}' is a ${separator.kind}, not a separator`);
  if (tagger.task !== separator.task) errors.push(`tagger '${tagger.id}' is for ${tagger.task} but separator '${separator.id}' is for ${separator.task}`);
  if (tagger.sample_rate !== separator.sample_rate || windowSamples(tagger) !== windowSamples(separator)) {
    errors.push(
      `tagger '${tagger.id}' (${tagger.sample_rate} Hz, ${tagger.window_seconds} s) and separator '${separator.id}' (${separator.sample_rate} Hz, ${separator.window_seconds} s) must share the sample rate and window length`,
    );
  }
  const missing = tagger.labels.filter((l) => !separator.labels.includes(l));
  if (missing.length > 0) warnings.push(`separator '${separator.id}' cannot separate ${missing.join(', ')} (tagged by '${tagger.id}'); those labels get no stem`);
  return { errors, warnings };
}

/**
 * Whether a verifier can check the stems of a separator: errors stop it (not a verifier, another
 * rate or window), warnings are reported (separator classes the verifier does not know: their
 * stems are kept unverified).
 */
export function checkVerifier(verifier: ModelManifest, separator: ModelManifest): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isVerifier(verifier)) errors.push(`'${verifier.id}' is not a verifier (a tagger-kind model with a verification block in its manifest)`);
  if (verifier.task !== separator.task) errors.push(`verifier '${verifier.id}' is for ${verifier.task} but separator '${separator.id}' is for ${separator.task}`);
  if (verifier.sample_rate !== separator.sample_rate) {
    errors.push(`verifier '${verifier.id}' runs at ${verifier.sample_rate} Hz but separator '${separator.id}' writes stems at ${separator.sample_rate} Hz`);
  }
  const samples = verifier.inputs[0]?.shape[2];
  if (typeof samples === 'number' && samples !== windowSamples(separator)) {
    errors.push(`verifier '${verifier.id}' takes windows of ${samples} samples but separator '${separator.id}' writes ${windowSamples(separator)}`);
  }
  const missing = separator.labels.filter((l) => !verifier.labels.includes(l));
  if (missing.length > 0) warnings.push(`verifier '${verifier.id}' does not know ${missing.join(', ')}; those stems are kept unverified`);
  return { errors, warnings };
}

/**
 * The channel format a recording is read in for these models. A model trained on a microphone
 * array (channel_format 'other') takes the capsule signals as they are — no FOA conversion, and
 * no FOA direction — whatever format the input declares; otherwise the declared format stands.
 * `warning` says so when an array model overrides the declaration.
 */
export function inputChannelFormat(
  models: readonly (Pick<ModelManifest, 'id' | 'channel_format'> | null | undefined)[],
  declared: ChannelFormat | undefined,
): { channelFormat: ChannelFormat | undefined; arrayModel: string | null; warning: string | null } {
  const array = models.find((m) => m?.channel_format === 'other');
  if (!array) return { channelFormat: declared, arrayModel: null, warning: null };
  const ignored = declared !== undefined && declared !== 'other' ? ` (the declared ${declared} is ignored)` : '';
  return {
    channelFormat: 'other',
    arrayModel: array.id,
    warning: `model '${array.id}' takes the raw channels of a microphone array (channel_format 'other'): the channels are fed unconverted${ignored} and stems get no direction`,
  };
}
