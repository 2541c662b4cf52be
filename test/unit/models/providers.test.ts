/** Execution-provider decision (inference/providers.ts): when CUDA is tried, and the reason when not. */
import { describe, expect, it } from 'vitest';
import { planProviders, shortReason } from '../../../src/engine/inference/providers';

const facts = (cudaBuilt: boolean, cudaInstalled: boolean, gpu: boolean) => ({ cudaBuilt, cudaInstalled, gpu: { present: gpu, names: gpu ? ['NVIDIA H200'] : [] } });

describe('provider plan', () => {
  it('auto: CUDA first only when built, installed and a GPU is present', () => {
    expect(planProviders('auto', facts(true, true, true))).toEqual({ attempt: ['cuda', 'cpu'], skipReason: null });
    expect(planProviders('auto', facts(true, false, true)).skipReason).toMatch(/CUDA provider libraries are not installed/);
    expect(planProviders('auto', facts(true, true, false)).skipReason).toBe('no NVIDIA GPU was found');
    // A machine without a GPU is told so, not asked to reinstall ONNX Runtime with CUDA libraries.
    expect(planProviders('auto', facts(true, false, false)).skipReason).toBe('no NVIDIA GPU was found');
    expect(planProviders('auto', facts(false, false, false)).skipReason).toBe('no NVIDIA GPU was found');
    expect(planProviders('auto', facts(false, false, true)).skipReason).toMatch(/has no CUDA execution provider on/);
    expect(planProviders('auto', facts(true, false, false)).attempt).toEqual(['cpu']);
  });

  it('cuda is always attempted (ONNX Runtime\'s error becomes the reason); cpu never', () => {
    expect(planProviders('cuda', facts(true, false, false))).toEqual({ attempt: ['cuda', 'cpu'], skipReason: null });
    expect(planProviders('cpu', facts(true, true, true))).toEqual({ attempt: ['cpu'], skipReason: null });
  });

  it('reasons are one clean line', () => {
    expect(shortReason(new Error('Failed to load\x1b[1;31m lib\nsecond line'))).toBe('Failed to load lib');
  });
});

describe('GPU detection (Linux driver files)', () => {
  it('reads the model name of every GPU folder; none without the driver', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { detectGpu } = await import('../../../src/engine/inference/providers');
    const dir = mkdtempSync(path.join(os.tmpdir(), 's5-gpus-'));
    // the format of an H200 machine's /proc/driver/nvidia/gpus/0000:00:06.0/information
    mkdirSync(path.join(dir, '0000:00:06.0'));
    writeFileSync(path.join(dir, '0000:00:06.0', 'information'), 'Model: \t\t NVIDIA H200\nIRQ:   \t\t 41\nGPU UUID: \t GPU-ce9d68a3\n');
    expect(detectGpu(dir, 'linux')).toEqual({ present: true, names: ['NVIDIA H200'] });
    expect(detectGpu(path.join(dir, 'missing'), 'linux')).toEqual({ present: false, names: [] });
    expect(detectGpu(dir, 'darwin')).toEqual({ present: false, names: [] });
  });
});
