/** Export file names: by label, and the DCASE estimate convention used by `s5 submission`. */
import { describe, expect, it } from 'vitest';
import { exportFileName, parseStemName } from '../../../src/engine/scene/naming';

describe('scene export naming', () => {
  it('names stems by label with the format extension', () => {
    expect(exportFileName('HairDryer', 0, 'demo_000000', 'dcase2025t4', 'wav16', 'label')).toBe('HairDryer.wav');
    expect(exportFileName('Speech_2', 1, 'x', 'dcase2026t4', 'flac', 'label')).toBe('Speech_2.flac');
  });
  it('uses the official estimate names for DCASE naming', () => {
    expect(exportFileName('Pour', 0, 'demo_000000', 'dcase2025t4', 'wav24', 'dcase')).toBe('demo_000000_Pour.wav');
    expect(exportFileName('Speech_2', 1, 'mix_01', 'dcase2026t4', 'wav16', 'dcase')).toBe('mix_01_1_Speech.wav');
    expect(exportFileName('Cough', 0, 'a', 'dcase2025t4', 'flac', 'dcase')).toBe('a_Cough.flac');
  });
  it('parses stem names and rejects others', () => {
    expect(parseStemName('Speech_3')).toEqual({ label: 'Speech', index: 2 });
    expect(parseStemName('Pour')).toEqual({ label: 'Pour', index: 0 });
    expect(parseStemName('Banjo')).toBeNull();
    expect(parseStemName('../x')).toBeNull();
  });
});
