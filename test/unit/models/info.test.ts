/**
 * ModelInfo (listModels / `s5 models`) carries each model's metrics, decision rule and model card,
 * checked against the shipped models' own manifest.json and MODEL_CARD.md read independently here.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListModelsResultSchema, MODEL_CARD_MAX_BYTES } from '../../../src/shared/api';
import { listModelInfo, readModelCard } from '../../../src/engine/models/info';
import { testRegistry } from '../../fixtures/models/helpers';

const MODELS = path.resolve(__dirname, '../../../models');
const SHIPPED = ['s5-tag-small-v2', 's5-sep-small-16k-v2'];

describe('listModelInfo: metrics, decision rule and model card', () => {
  it('returns the shipped manifests\' metrics and thresholds and their MODEL_CARD.md', async () => {
    const list = ListModelsResultSchema.parse(await listModelInfo(testRegistry(MODELS)));
    for (const id of SHIPPED) {
      const m = list.models.find((x) => x.id === id);
      expect(m, id).toBeDefined();
      const manifest = JSON.parse(readFileSync(path.join(MODELS, id, 'manifest.json'), 'utf8'));
      expect(m!.metrics).toEqual(manifest.metrics);
      expect(m!.card).toBe(readFileSync(path.join(MODELS, id, 'MODEL_CARD.md'), 'utf8'));
      if (manifest.kind === 'tagger') {
        expect(m!.decision).toEqual({
          threshold: manifest.decision.threshold,
          thresholds: manifest.decision.thresholds ?? {},
          min_events: manifest.decision.min_events,
          max_events: manifest.decision.max_events,
        });
      } else {
        expect(m!.decision).toBeNull();
      }
    }
  });

  it('has null metrics and card for a folder whose manifest is unreadable', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 's5-info-'));
    const dir = path.join(root, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
    const list = await listModelInfo(testRegistry(root));
    const m = list.models.find((x) => x.dir === dir);
    expect(m?.valid).toBe(false);
    expect(m?.metrics).toBeNull();
    expect(m?.decision).toBeNull();
    expect(m?.card).toBeNull();
  });
});

describe('readModelCard', () => {
  it('cuts a card over the cap and says so', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 's5-card-'));
    const body = 'é'.repeat(MODEL_CARD_MAX_BYTES); // 2 bytes each: twice the cap
    writeFileSync(path.join(dir, 'MODEL_CARD.md'), body);
    const card = readModelCard(dir)!;
    const shown = card.split('\n\n…')[0];
    expect(Buffer.byteLength(shown, 'utf8')).toBeLessThanOrEqual(MODEL_CARD_MAX_BYTES);
    expect(shown).toBe('é'.repeat(MODEL_CARD_MAX_BYTES / 2));
    expect(card).toContain(`longer than ${MODEL_CARD_MAX_BYTES} bytes`);
  });

  it('returns a card exactly at the cap whole, and null without one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 's5-card-'));
    expect(readModelCard(dir)).toBeNull();
    const body = 'x'.repeat(MODEL_CARD_MAX_BYTES);
    writeFileSync(path.join(dir, 'MODEL_CARD.md'), body);
    expect(readModelCard(dir)).toBe(body);
  });
});
