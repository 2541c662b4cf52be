/** DSP used outside the models: FFT, overlap-add of window outputs, FOA direction of arrival. */
export { Fft, realPairSpectra } from './fft';
export { OverlapAdd, triangleWeight, type Emitted } from './overlap-add';
export { DirectionMeter, DOA_BAND_HZ, SEGMENT_FLOOR, ONSET_FLOOR, ONSET_SMOOTHING, frameSizeFor } from './doa';
