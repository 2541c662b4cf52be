/**
 * Number and report formatting for `s5 evaluate`. `pyFixed` rounds like Python's '%.Nf' (exact
 * binary value, ties to even), so the summary lines match the official evaluators digit for digit;
 * JavaScript's toFixed rounds exact ties away from zero (e.g. 0.0625 → "0.063" instead of "0.062").
 */
import type { EvaluateResult } from '../shared/evaluate';

/** Python `'%.{digits}f' % x`. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const plain = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return plain;
  // toFixed(100) is the exact decimal expansion for the magnitudes we print.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf('.');
  const keepEnd = digits === 0 ? point : point + 1 + digits;
  if (!/^50*$/.test(exact.slice(point + 1 + digits))) return plain; // not an exact tie
  if (Number(exact[keepEnd - 1]) % 2 === 1) return plain; // tie on an odd digit: up = to even
  return (x < 0 ? '-' : '') + exact.slice(0, keepEnd); // tie on an even digit: down
}

/** The official evaluators' summary lines. */
export function formatEvaluateSummary(result: EvaluateResult): string {
  if (result.task === 'dcase2025t4') {
    return `CA-SDRi: ${pyFixed(result.ca_sdri, 3)}\nLabel prediction accuracy: ${pyFixed(result.label_accuracy, 2)}\n`;
  }
  const capi = result.capi_sdri === null ? 'nan' : pyFixed(result.capi_sdri, 3);
  return (
    `CAPI-SDRi: ${capi}\n` +
    `Accuracy (mixture): ${pyFixed(result.mixture_accuracy, 3)}\n` +
    `Accuracy (source) : ${pyFixed(result.source_accuracy, 3)}\n`
  );
}

/** The per-class table of `s5 evaluate --per-class` (2025 results; 2026 has none). */
export function formatPerClass(result: EvaluateResult): string {
  if (result.task !== 'dcase2025t4' || !result.per_class) return 'per-class table: only for dcase2025t4\n';
  const rows = Object.entries(result.per_class).map(
    ([label, c]) =>
      `${label.padEnd(18)} ${(c.sdri === null ? '-' : pyFixed(c.sdri, 2)).padStart(7)}  ${String(c.tp).padStart(4)} ${String(c.fp).padStart(4)} ${String(c.fn).padStart(4)}  ${pyFixed(c.f1, 2).padStart(5)}`,
  );
  return `\n${'class'.padEnd(18)} ${'SDRi dB'.padStart(7)}  ${'TP'.padStart(4)} ${'FP'.padStart(4)} ${'FN'.padStart(4)}  ${'F1'.padStart(5)}\n${rows.join('\n')}\n`;
}
