/** Types for the part of Omnitone 1.3 (no bundled typings) the audition graph uses. */
declare module 'omnitone/build/omnitone.esm.js' {
  export interface FOARenderer {
    input: GainNode;
    output: GainNode;
    initialize(): Promise<void>;
    setRotationMatrix3(m: Float32Array): void;
    setRenderingMode(mode: 'ambisonic' | 'bypass' | 'off'): void;
  }
  const Omnitone: {
    createFOARenderer(context: BaseAudioContext, config?: { channelMap?: number[]; renderingMode?: 'ambisonic' | 'bypass' | 'off' }): FOARenderer;
  };
  export default Omnitone;
}
