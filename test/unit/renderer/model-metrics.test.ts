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
  it('the full-system test figures are the headline when present; every quality figure names its set', () => {
    const lines = metricLines({ ca_sdri: 7.75, test_ca_sdri: 4.31, test_label_accuracy: 40, label_accuracy: 48.4, test_real_ca_sdri: 0.6 });
    expect(lines.filter((l) => l.headline).map((l) => [l.key, l.label, l.text, l.set])).toEqual([
      ['test_ca_sdri', 'CA-SDRi', '4.31 dB', 'test preset, full system'],
      ['test_label_accuracy', 'Label accuracy', '40.0 %', 'test preset, full system'],
    ]);
    expect(lines.find((l) => l.key === 'ca_sdri')).toMatchObject({ headline: false, set: 'validation' });
    expect(lines.find((l) => l.key === 'test_real_ca_sdri')).toMatchObject({ headline: false, set: null });
    // Without test figures the validation ones stay the headline, named as such.
    expect(metricLines({ ca_sdri: 7.75 })[0]).toMatchObject({ key: 'ca_sdri', headline: true, set: 'validation' });
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
