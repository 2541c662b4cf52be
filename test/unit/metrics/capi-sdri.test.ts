/**
 * CAPI-SDRi, mixture and source accuracy (DCASE 2026): every worked example of s5-2026.md §1.7,
 * the enumeration order and tie rule, and the equivalence with CA-SDRi without duplicates (§1.6).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  capiSdri,
  capiSdriCorpus,
  combinations,
  multisetLabelCounts,
  permutations,
} from '../../../src/engine/metrics/capi-sdri';
import { caSdri } from '../../../src/engine/metrics/ca-sdri';
import { S5_LABELS } from '../../../src/shared/labels';
import { DB_TOLERANCE, DISHES as B, mix, NOISE, SPEECH as A, TYPING as T, ZERO } from './toy-signals';

const close = (actual: number | null, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThan(DB_TOLERANCE);
};

/** Example 1: two speakers, outputs in swapped order. */
const ex1 = () =>
  capiSdri({
    mixture: mix([1, A], [1, B], [1, T], [1, NOISE]),
    references: [
      { label: 'Speech', signal: mix([1, A]) },
      { label: 'Speech', signal: mix([1, B]) },
      { label: 'Typing', signal: mix([1, T]) },
    ],
    estimates: [
      { label: 'Typing', signal: mix([1, T], [0.1, A]) },
      { label: 'Speech', signal: mix([1, B], [0.2, A]) },
      { label: 'Speech', signal: mix([1, A], [0.1, B]) },
    ],
  });

/** Example 2: duplicate label with a miss and a false alarm. */
const ex2 = () =>
  capiSdri({
    mixture: mix([2, A], [0.2, B], [1, NOISE]),
    references: [
      { label: 'Speech', signal: mix([2, A]) },
      { label: 'Speech', signal: mix([0.2, B]) },
    ],
    estimates: [
      { label: 'Speech', signal: mix([1.2, A], [0.1, B]) },
      { label: 'Dishes', signal: mix([0.5, T]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
  });

/** Example 3: zero-target scene; (a) no output, (b) one false alarm. */
const ex3a = () =>
  capiSdri({
    mixture: mix([1, T], [1, NOISE]),
    references: [],
    estimates: [
      { label: 'silence', signal: mix([0, ZERO]) },
      { label: 'silence', signal: mix([0, ZERO]) },
    ],
  });
const ex3b = () =>
  capiSdri({
    mixture: mix([1, T], [1, NOISE]),
    references: [],
    estimates: [{ label: 'Speech', signal: mix([0.3, T]) }],
  });

describe('CAPI-SDRi worked examples (s5-2026.md §1.7)', () => {
  it('Ex. 1: swapped speakers → 18.8360 dB, slot order does not matter', () => {
    const r = ex1();
    const a = r.pairs.find((p) => p.label === 'Speech' && p.reference === 0)!;
    const b = r.pairs.find((p) => p.label === 'Speech' && p.reference === 1)!;
    const t = r.pairs.find((p) => p.label === 'Typing')!;
    expect(a.estimate).toBe(2); // A ↔ A+0.1B
    expect(b.estimate).toBe(1); // B ↔ B+0.2A
    close((a.sdr + b.sdr) / 2, 16.9897);
    close(a.sdr, 24.7712);
    close(a.sdrMixture, 5.3264);
    close(a.sdri, 19.4448);
    close(b.sdr, 9.2082);
    close(b.sdrMixture, -6.7943);
    close(b.sdri, 16.0025);
    close(t.sdr, 15.2288);
    close(t.sdrMixture, -5.832);
    close(t.sdri, 21.0608);
    close(r.value, 18.836);
    expect(r).toMatchObject({ correct: true, tp: 3, fp: 0, fn: 0, penalties: 0 });
  });

  it('Ex. 2: choose by SDR, report SDRi → −7.6185 dB', () => {
    const r = ex2();
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0].reference).toBe(0); // the loud 2A, although 0.2B has the better SDRi
    close(r.pairs[0].sdr, 7.9362);
    close(r.pairs[0].sdri, -22.8556);
    close(r.value, -7.6185);
    expect(r).toMatchObject({ correct: false, tp: 1, fp: 1, fn: 1, penalties: 2 });
  });

  it('Ex. 3a: empty vs empty → null, label check true', () => {
    expect(ex3a()).toMatchObject({ value: null, correct: true, tp: 0, fp: 0, fn: 0 });
  });

  it('Ex. 3b: false alarm on an empty scene → 0 dB, included', () => {
    expect(ex3b()).toMatchObject({ value: 0, correct: false, tp: 0, fp: 1, fn: 0 });
  });

  it('corpus over the 4 mixtures → 3.7392 dB, 50.00 %, 57.14 %', () => {
    const c = capiSdriCorpus([ex1(), ex2(), ex3a(), ex3b()]);
    close(c.capiSdri, 3.7392);
    expect(c.scoredMixtures).toBe(3);
    expect(c.mixtureAccuracy).toBe(50);
    expect(c.sourceAccuracy).toBeCloseTo((100 * 4) / 7, 9);
  });

  it('corpus of only empty-vs-empty mixtures has no CAPI-SDRi', () => {
    const c = capiSdriCorpus([ex3a(), ex3a()]);
    expect(c).toEqual({ capiSdri: null, scoredMixtures: 0, mixtureAccuracy: 100, sourceAccuracy: 100 });
  });
});

describe('permutation rule', () => {
  it('enumerates like itertools (combinations outer, permutations inner)', () => {
    expect([...combinations(4, 2)]).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect([...combinations(3, 3)]).toEqual([[0, 1, 2]]);
    expect([...combinations(2, 0)]).toEqual([[]]);
    expect([...permutations(3, 2)]).toEqual([[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]);
    expect([...permutations(3, 3)]).toHaveLength(6);
    expect([...permutations(3, 3)][5]).toEqual([2, 1, 0]);
  });

  it('ties: the first maximum wins', () => {
    // Two identical estimates and two identical references: every pairing ties → identity.
    const s = mix([1, A]);
    const r = capiSdri({
      mixture: mix([1, A], [1, B]),
      references: [{ label: 'Speech', signal: s }, { label: 'Speech', signal: s }],
      estimates: [{ label: 'Speech', signal: s }, { label: 'Speech', signal: s }],
    });
    expect(r.pairs.map((p) => [p.reference, p.estimate])).toEqual([[0, 0], [1, 1]]);
    // One estimate, two identical references: the first reference subset wins.
    const one = capiSdri({
      mixture: mix([1, A], [1, B]),
      references: [{ label: 'Speech', signal: s }, { label: 'Speech', signal: s }],
      estimates: [{ label: 'Speech', signal: s }],
    });
    expect(one.pairs.map((p) => p.reference)).toEqual([0]);
    expect(one.penalties).toBe(1);
  });

  it('surplus estimates of a class add zeros', () => {
    const r = capiSdri({
      mixture: mix([1, A], [1, B]),
      references: [{ label: 'Speech', signal: mix([1, A]) }],
      estimates: [
        { label: 'Speech', signal: mix([1, B]) },
        { label: 'Speech', signal: mix([1, A], [0.1, B]) },
        { label: 'Speech', signal: mix([0.5, A]) },
      ],
    });
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0].estimate).toBe(1);
    expect(r.penalties).toBe(2);
    expect(r.value).toBeCloseTo(r.pairs[0].sdri / 3, 12);
    expect(r).toMatchObject({ tp: 1, fp: 2, fn: 0, correct: false });
  });
});

describe('multiset label counts', () => {
  it('counts duplicates', () => {
    expect(multisetLabelCounts(['Speech', 'Speech', 'silence'], ['Speech'])).toEqual({ correct: false, tp: 1, fp: 1, fn: 0 });
    expect(multisetLabelCounts(['Speech', 'Dishes'], ['Dishes', 'Speech'])).toEqual({ correct: true, tp: 2, fp: 0, fn: 0 });
    expect(multisetLabelCounts([], ['silence'])).toEqual({ correct: true, tp: 0, fp: 0, fn: 0 });
  });
});

describe('CAPI-SDRi = CA-SDRi without duplicates or empty scenes (§1.6)', () => {
  const labels = S5_LABELS.slice(0, 5);
  const signal = fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }).map((x) => new Float32Array(x));
  const slots = fc.uniqueArray(fc.constantFrom(...labels), { minLength: 1, maxLength: 3 }).chain((ls) =>
    fc.tuple(...ls.map((label) => signal.map((s) => ({ label, signal: s })))),
  );
  it('agrees on random mixtures', () => {
    fc.assert(
      fc.property(slots, slots, signal, (estimates, references, mixture) => {
        const a = caSdri({ estimates, references, mixture });
        const b = capiSdri({ estimates, references, mixture });
        expect(b.value).not.toBeNull();
        expect(Math.abs(a.value - b.value!)).toBeLessThan(1e-9);
        expect(b.correct).toBe(a.labelsCorrect);
      }),
      { numRuns: 200 },
    );
  });
});
