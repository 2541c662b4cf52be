/**
 * How the Models view names and formats a manifest's metrics: the headline figures first
 * (separation CA-SDRi, label accuracy, calibrated accuracy, ONNX parity), then any other metric
 * under its own key. Pure (no Svelte), so it is unit-tested.
 *
 * Which set a number is from (issue #13): `test_ca_sdri` / `test_label_accuracy` are the full
 * system (tagger + separator) on the fixed synthetic test preset, and are the headline when a
 * manifest has them; `ca_sdri` / `label_accuracy` are the trainer's validation figures (a
 * separator's CA-SDRi there uses the true labels), the headline only when no test figure exists.
 */

export interface MetricLine {
  key: string;
  /** Short human name. */
  label: string;
  /** The formatted value with its unit. */
  text: string;
  /** One of the headline metrics shown in the table row. */
  headline: boolean;
  /** Which set the number is from (null: not a quality figure, or unknown). */
  set: string | null;
}

export const TEST_SET = 'test preset, full system';
export const VALIDATION_SET = 'validation';

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** The headline metrics in display order: key match, name, formatter. */
const KNOWN: { match: (k: string) => boolean; label: (k: string) => string; text: (v: number) => string; headline: boolean; set?: string }[] = [
  { match: (k) => k === 'test_ca_sdri', label: () => 'CA-SDRi', text: (v) => `${fmt(v, 2)} dB`, headline: true, set: TEST_SET },
  { match: (k) => k === 'test_label_accuracy', label: () => 'Label accuracy', text: (v) => `${fmt(v, 1)} %`, headline: true, set: TEST_SET },
  { match: (k) => k === 'ca_sdri', label: () => 'CA-SDRi', text: (v) => `${fmt(v, 2)} dB`, headline: true, set: VALIDATION_SET },
  { match: (k) => k === 'label_accuracy', label: () => 'Label accuracy', text: (v) => `${fmt(v, 1)} %`, headline: true, set: VALIDATION_SET },
  { match: (k) => k === 'calibration_label_accuracy_after', label: () => 'Calibrated accuracy', text: (v) => `${fmt(v, 1)} %`, headline: true },
  { match: (k) => k === 'calibration_label_accuracy_before', label: () => 'Before calibration', text: (v) => `${fmt(v, 1)} %`, headline: false },
  {
    match: (k) => k.startsWith('onnx_parity_max_abs'),
    label: (k) => `ONNX parity${k.length > 'onnx_parity_max_abs'.length ? ` (${k.slice('onnx_parity_max_abs_'.length)})` : ''}`,
    text: (v) => `max |Δ| ${v.toExponential(1)}`,
    headline: true,
  },
];

/** The validation figure that a test figure replaces as the headline. */
const REPLACED_BY: Record<string, string> = { ca_sdri: 'test_ca_sdri', label_accuracy: 'test_label_accuracy' };

/** Every metric as a line, headline metrics first in KNOWN's order, the rest by key. */
export function metricLines(metrics: Record<string, number> | null): MetricLine[] {
  if (!metrics) return [];
  const keys = Object.keys(metrics);
  const replaced = (k: string) => REPLACED_BY[k] !== undefined && REPLACED_BY[k] in metrics;
  const rank = (k: string) => {
    const i = KNOWN.findIndex((m) => m.match(k));
    return i < 0 ? KNOWN.length : i;
  };
  return keys
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((key) => {
      const known = KNOWN.find((m) => m.match(key));
      const v = metrics[key];
      return known
        ? { key, label: known.label(key), text: known.text(v), headline: known.headline && !replaced(key), set: known.set ?? null }
        : { key, label: key, text: Math.abs(v) >= 1e-3 || v === 0 ? String(Number(v.toPrecision(4))) : v.toExponential(2), headline: false, set: null };
    });
}

/** The per-class thresholds of a decision rule (classes without one use `threshold`), sorted by label. */
export function thresholdLines(decision: { threshold: number; thresholds: Record<string, number> } | null): { label: string; threshold: number }[] {
  if (!decision) return [];
  return Object.entries(decision.thresholds)
    .map(([label, threshold]) => ({ label, threshold }))
    .sort((a, b) => a.label.localeCompare(b.label));
}
