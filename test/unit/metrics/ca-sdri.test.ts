/** CA-SDRi and label accuracy (DCASE 2025): every worked example of s5-task.md §2.4, plus the dict rules. */
import { describe, expect, it } from 'vitest';
import { caSdri, caSdriCorpus, labelSetsEqual } from '../../../src/engine/metrics/ca-sdri';
import { DB_TOLERANCE, DISHES, mix, NOISE, SPEECH, TYPING, ZERO } from './toy-signals';

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(DB_TOLERANCE);

const MIX_SD = mix([1, SPEECH], [1, DISHES], [1, NOISE]);
const MIX_DT = mix([1, DISHES], [1, TYPING], [1, NOISE]);

/** Ex. 1: all labels right. */
const ex1 = () =>
  caSdri({
    mixture: MIX_SD,
    estimates: [
      { label: 'Dishes', signal: mix([0.9, DISHES]) },
      { label: 'Speech', signal: mix([1, SPEECH], [1, [0.2, 0, 0, 0, 0, 0, 0, 0]]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
    references: [
      { label: 'Speech', signal: mix([1, SPEECH]) },
      { label: 'Dishes', signal: mix([1, DISHES]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
  });

/** Ex. 2: one TP, one FP, one FN. */
const ex2 = () =>
  caSdri({
    mixture: MIX_DT,
    estimates: [
      { label: 'Dishes', signal: mix([1, DISHES], [0.25, TYPING]) },
      { label: 'Speech', signal: mix([0.5, SPEECH]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
    references: [
      { label: 'Dishes', signal: mix([1, DISHES]) },
      { label: 'Typing', signal: mix([1, TYPING]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
  });

/** Ex. 3: missed event. */
const ex3 = () =>
  caSdri({
    mixture: MIX_SD,
    estimates: [
      { label: 'Speech', signal: mix([1, SPEECH], [0.3, DISHES]) },
      { label: 'silence', signal: mix([0, ZERO]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
    references: [
      { label: 'Dishes', signal: mix([1, DISHES]) },
      { label: 'Speech', signal: mix([1, SPEECH]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
  });

describe('CA-SDRi worked examples (s5-task.md §2.4)', () => {
  it('Ex. 1: all labels right → 21.7943 dB', () => {
    const r = ex1();
    const dishes = r.pairs.find((p) => p.label === 'Dishes')!;
    const speech = r.pairs.find((p) => p.label === 'Speech')!;
    close(dishes.sdr, 20.0);
    close(dishes.sdrMixture, -4.9554);
    close(dishes.sdri, 24.9554);
    close(speech.sdr, 24.7712);
    close(speech.sdrMixture, 6.138);
    close(speech.sdri, 18.6332);
    close(r.value, 21.7943);
    expect(r.labelsCorrect).toBe(true);
    expect(r.tp).toEqual(['Dishes', 'Speech']);
  });

  it('Ex. 2: one TP, one FP, one FN → 4.2533 dB', () => {
    const r = ex2();
    expect(r.pairs).toHaveLength(1);
    close(r.pairs[0].sdr, 12.0412);
    close(r.pairs[0].sdrMixture, -0.7188);
    close(r.pairs[0].sdri, 12.76);
    close(r.value, 4.2533);
    expect(r).toMatchObject({ labelsCorrect: false, tp: ['Dishes'], fp: ['Speech'], fn: ['Typing'] });
  });

  it('Ex. 3: missed event → 4.5454 dB', () => {
    const r = ex3();
    close(r.pairs[0].sdr, 15.2288);
    close(r.pairs[0].sdrMixture, 6.138);
    close(r.pairs[0].sdri, 9.0908);
    close(r.value, 4.5454);
    expect(r).toMatchObject({ labelsCorrect: false, fp: [], fn: ['Dishes'] });
  });

  it('corpus over the three mixtures → 10.1977 dB, 33.33 %', () => {
    const corpus = caSdriCorpus([ex1(), ex2(), ex3()]);
    close(corpus.caSdri, 10.1977);
    expect(corpus.labelAccuracy).toBeCloseTo(100 / 3, 9);
    expect(corpus.labelAccuracy.toFixed(2)).toBe('33.33');
  });
});

describe('CA-SDRi dict rules', () => {
  it('a label estimated twice keeps the LAST waveform', () => {
    const good = mix([1, SPEECH]);
    const bad = mix([1, DISHES]);
    const refs = [{ label: 'Speech', signal: good }];
    const lastGood = caSdri({ mixture: MIX_SD, estimates: [{ label: 'Speech', signal: bad }, { label: 'Speech', signal: good }], references: refs });
    const lastBad = caSdri({ mixture: MIX_SD, estimates: [{ label: 'Speech', signal: good }, { label: 'Speech', signal: bad }], references: refs });
    expect(lastGood.pairs[0].estimate).toBe(1);
    expect(lastGood.value).toBeGreaterThan(50);
    expect(lastBad.value).toBeLessThan(0);
    expect(lastGood.labelsCorrect).toBe(true); // sets, not multisets
  });

  it('negative improvements are kept, not clipped', () => {
    const r = caSdri({
      mixture: mix([1, SPEECH]),
      estimates: [{ label: 'Speech', signal: mix([-1, SPEECH]) }],
      references: [{ label: 'Speech', signal: mix([1, SPEECH]) }],
    });
    expect(r.value).toBeLessThan(-60);
  });

  it('empty vs empty is NaN (the official mean of nothing)', () => {
    expect(caSdri({ mixture: mix([0, ZERO]), estimates: [], references: [] }).value).toBeNaN();
  });

  it('only FP/FN → 0 dB', () => {
    const r = caSdri({ mixture: MIX_SD, estimates: [], references: [{ label: 'Dishes', signal: mix([1, DISHES]) }] });
    expect(r.value).toBe(0);
    expect(r.fn).toEqual(['Dishes']);
  });

  it('labelSetsEqual ignores silence, order and duplicates', () => {
    expect(labelSetsEqual(['Speech', 'silence', 'Dishes'], ['Dishes', 'Speech'])).toBe(true);
    expect(labelSetsEqual(['Speech', 'Speech'], ['Speech'])).toBe(true);
    expect(labelSetsEqual(['Speech'], ['Speech', 'Dishes'])).toBe(false);
    expect(labelSetsEqual(['silence'], [])).toBe(true);
  });
});
