/** Models view: how manifest metrics and per-class thresholds are named, ordered and formatted. */
import { describe, expect, it } from 'vitest';
import { metricLines, thresholdLines } from '../../../src/renderer/lib/model-metrics';

describe('metricLines', () => {
  it('puts the headline metrics first with units, then the rest by key', () => {
    const lines = metricLines({
      loss: 0.12447674944996834,
      onnx_parity_max_abs_probabilities: 1.7881393432617188e-7,
      label_accuracy: 48.4375,
      calibration_label_accuracy_after: 49.5,
      calibration_label_accuracy_before: 39,
      ca_sdri: 7.754121790480572,
    });
    expect(lines.map((l) => l.key)).toEqual([
      'ca_sdri', 'label_accuracy', 'calibration_label_accuracy_after', 'calibration_label_accuracy_before',
      'onnx_parity_max_abs_probabilities', 'loss',
    ]);
    expect(lines.map((l) => l.text)).toEqual(['7.75 dB', '48.4 %', '49.5 %', '39.0 %', 'max |Δ| 1.8e-7', '0.1245']);
    expect(lines.filter((l) => l.headline).map((l) => l.label)).toEqual(['CA-SDRi', 'Label accuracy', 'Calibrated accuracy', 'ONNX parity (probabilities)']);
  });
  it('is empty without metrics', () => {
    expect(metricLines(null)).toEqual([]);
    expect(metricLines({})).toEqual([]);
  });
});

describe('thresholdLines', () => {
  it('lists per-class thresholds by label', () => {
    expect(thresholdLines({ threshold: 0.5, thresholds: { Speech: 0.7, Blender: 0.1 } })).toEqual([
      { label: 'Blender', threshold: 0.1 },
      { label: 'Speech', threshold: 0.7 },
    ]);
    expect(thresholdLines(null)).toEqual([]);
  });
});
