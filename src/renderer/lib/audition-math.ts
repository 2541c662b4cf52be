/**
 * The arithmetic of the audition graph (audition.ts), kept free of Web Audio so it is unit-tested
 * directly: per-stem gains after mute/solo, first-order ambisonic encoding gains, head rotation.
 */

export interface StemControl {
  gainDb: number;
  mute: boolean;
  solo: boolean;
}

/** Linear gain of each stem after mute/solo: any solo silences the unsoloed stems. */
export function effectiveGains(controls: readonly StemControl[]): number[] {
  const anySolo = controls.some((c) => c.solo);
  return controls.map((c) => (c.mute || (anySolo && !c.solo) ? 0 : 10 ** (c.gainDb / 20)));
}

/** ACN/SN3D first-order encoding gains (W, Y, Z, X) of a plane wave from (azimuth, elevation). */
export function foaEncodeGains(azimuthDeg: number, elevationDeg: number): [number, number, number, number] {
  const az = (azimuthDeg * Math.PI) / 180;
  const el = (elevationDeg * Math.PI) / 180;
  return [1, Math.sin(az) * Math.cos(el), Math.sin(el), Math.cos(az) * Math.cos(el)];
}

/** Omnitone's 3×3 rotation (column-major, its x right / y up / z back frame) for a head yaw. */
export function yawMatrix(yawDeg: number): Float32Array {
  const a = (yawDeg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return new Float32Array([c, 0, -s, 0, 1, 0, s, 0, c]);
}

