/**
 * Model registry and ONNX Runtime sessions with real ONNX files (the tiny test models): broken
 * models are refused with messages that name the file and the problem (wrong hash, missing
 * manifest field, wrong input shape, …); the active pair persists in settings.json; import and
 * remove; the CPU fallback when the CUDA provider is unavailable; the engine API methods.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { Engine } from '../../src/engine/engine';
import { runCli } from '../../src/cli/main';
import { cachedTestModels, testRegistry, torchReady } from '../fixtures/models/helpers';

const ready = torchReady();
let models: string;
let shipped: string;
let data: string;
const hosts: InferenceHost[] = [];

function edit(id: string, change: (m: Record<string, any>) => void, rename?: string): string {
  const dir = path.join(shipped, rename ?? `${id}-broken`);
  cpSync(path.join(models, id), dir, { recursive: true });
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  m.id = rename ?? `${id}-broken`;
  change(m);
  writeFileSync(file, JSON.stringify(m));
  return dir;
}

beforeAll(() => {
  if (!ready) return;
  models = cachedTestModels(8000, 4);
  shipped = mkdtempSync(path.join(os.tmpdir(), 's5-shipped-'));
  data = mkdtempSync(path.join(os.tmpdir(), 's5-data-'));
  for (const id of ['test-tagger-2025', 'test-sep-1', 'test-sep-k3', 'test-tagger-2026']) cpSync(path.join(models, id), path.join(shipped, id), { recursive: true });
  // wrong hash: the file changed after the manifest was written
  appendFileSync(path.join(edit('test-sep-1', () => undefined, 'wrong-hash'), 'model.onnx'), Buffer.from([0]));
  // a manifest field missing
  edit('test-sep-1', (m) => delete m.sha256, 'no-sha');
  // wrong input shape: the manifest says 4 channels, the graph takes 1
  edit('test-tagger-2025', (m) => {
    m.channels = 4;
    m.channel_format = 'foa-acn-sn3d';
    m.inputs[0].shape = ['batch', 4, 'samples'];
  }, 'wrong-shape');
  // a tensor renamed
  edit('test-sep-1', (m) => (m.inputs[1].name = 'query'), 'wrong-name');
  // folder name ≠ id
  edit('test-sep-1', (m) => (m.id = 'someone-else'), 'misplaced');
  process.env.S5_SHIPPED_MODELS = shipped;
  process.env.S5_DATA_DIR = data;
});

afterAll(async () => {
  for (const h of hosts) await h.dispose();
  for (const d of [shipped, data]) if (d) rmSync(d, { recursive: true, force: true });
});

function host(opts: ConstructorParameters<typeof InferenceHost>[0] = {}): InferenceHost {
  const h = new InferenceHost({ threads: 1, ...opts });
  hosts.push(h);
  return h;
}

describe.skipIf(!ready)('model registry', () => {
  it('lists every folder and refuses broken models with specific messages', async () => {
    const reg = new ModelRegistry();
    const list = await reg.list();
    const byId = Object.fromEntries(list.map((e) => [e.id, e]));
    for (const id of ['test-tagger-2025', 'test-sep-1', 'test-sep-k3', 'test-tagger-2026']) expect(byId[id]?.valid, id).toBe(true);
    expect(byId['wrong-hash'].errors.join()).toMatch(/wrong-hash\/model\.onnx: sha256 is [0-9a-f]{64} but the manifest says [0-9a-f]{64}/);
    expect(byId['no-sha'].errors).toEqual([`${path.join(shipped, 'no-sha', 'manifest.json')}: missing field 'sha256'`]);
    expect(byId['wrong-shape'].errors.join('\n')).toMatch(/wrong-shape\/model\.onnx: input 0 'mixture' dimension 1 is 1 in the model but 4 in the manifest/);
    expect(byId['wrong-name'].errors.join('\n')).toMatch(/input 1 is named 'label_vector' in the model but 'query' in the manifest/);
    expect(byId['someone-else'].errors.join()).toMatch(/id 'someone-else' differs from its folder name 'misplaced'/);
    await expect(reg.require('wrong-shape')).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/model 'wrong-shape' .* cannot be used/) });
    await expect(reg.require('nope')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no model 'nope' \(known: .*test-sep-1/) });
  });

  it('s5 models list marks broken models; info exits 1 for them', async () => {
    const out = { text: '', err: '', stdout(t: string) { this.text += t; }, stderr(t: string) { this.err += t; }, stderrIsTTY: false };
    expect(await runCli(['models', 'list'], out)).toBe(0);
    expect(out.text).toMatch(/wrong-hash .*BROKEN: .*sha256 is/);
    expect(out.text).toMatch(/\* test-tagger-2025 /);
    const info = { text: '', err: '', stdout(t: string) { this.text += t; }, stderr(t: string) { this.err += t; }, stderrIsTTY: false };
    expect(await runCli(['models', 'info', 'wrong-shape'], info)).toBe(1);
    expect(info.text).toMatch(/error .*dimension 1 is 1 in the model but 4 in the manifest/);
  });

  it('the active pair persists in settings.json; impossible pairs are refused', async () => {
    const reg = new ModelRegistry();
    expect((await reg.activePair()).from).toBe('default');
    await reg.activate(['test-sep-k3', 'test-tagger-2025']);
    const again = await new ModelRegistry().activePair();
    expect([again.tagger?.manifest.id, again.separator?.manifest.id, again.from]).toEqual(['test-tagger-2025', 'test-sep-k3', 'settings']);
    expect(JSON.parse(readFileSync(path.join(data, 'settings.json'), 'utf8')).active_models).toEqual({ tagger: 'test-tagger-2025', separator: 'test-sep-k3' });
    await expect(reg.activate(['test-tagger-2025', 'test-tagger-2026'])).rejects.toThrow(/both models are taggers/);
    await expect(reg.activate(['test-tagger-2026'])).rejects.toThrow(/is for dcase2026t4 but separator 'test-sep-k3' is for dcase2025t4/);
    await expect(reg.activate(['wrong-hash'])).rejects.toThrow(/sha256/);
  });

  it('import copies a checked model into the user folder; remove deletes it and clears it from settings', async () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 's5-import-'));
    cpSync(path.join(models, 'test-sep-identity'), path.join(src, 'anything'), { recursive: true });
    const reg = new ModelRegistry();
    const entry = await reg.importModel(path.join(src, 'anything', 'manifest.json'));
    expect(entry).toMatchObject({ id: 'test-sep-identity', source: 'user', valid: true, dir: path.join(data, 'models', 'test-sep-identity') });
    await expect(reg.importModel(path.join(src, 'anything'))).rejects.toThrow(/already installed .* --force/);
    await reg.importModel(path.join(src, 'anything'), { force: true });
    await expect(reg.importModel(path.join(shipped, 'wrong-hash'))).rejects.toThrow(/sha256/);
    await expect(reg.importModel(path.join(models, 'test-sep-1'))).rejects.toThrow(/a shipped model already has the id 'test-sep-1'/);
    await reg.activate(['test-sep-identity']);
    await reg.remove('test-sep-identity');
    expect((await reg.list()).some((e) => e.id === 'test-sep-identity')).toBe(false);
    expect((await new SettingsStore(path.join(data, 'settings.json')).load()).active_models.separator).toBeNull();
    await expect(reg.remove('test-sep-1')).rejects.toThrow(/shipped model .* only user models can be removed/);
  });
});

describe.skipIf(!ready)('ONNX Runtime sessions', () => {
  it('CPU fallback when the CUDA provider cannot start, with the reason', async () => {
    const reg = testRegistry(models);
    const m = await reg.require('test-tagger-2025');
    const forced = await host({ provider: 'cuda' }).load(m.onnxPath, m.manifest.sha256);
    expect(forced.info.provider).toBe('cpu');
    expect(forced.info.fallbackReason).toMatch(/CUDA execution provider failed to start: .+/);
    const h = host();
    const facts = await h.facts();
    if (facts.cudaInstalled && h.gpuInfo().present) return; // a CUDA machine: nothing falls back
    const auto = await h.load(m.onnxPath, m.manifest.sha256);
    expect(auto.info.provider).toBe('cpu');
    expect(auto.info.fallbackReason).toMatch(/CUDA provider libraries are not installed|no NVIDIA GPU|no CUDA execution provider/);
    const cpu = await host({ provider: 'cpu' }).load(m.onnxPath, m.manifest.sha256);
    expect(cpu.info.fallbackReason).toBeNull();
  });

  it('sessions are created once and reused; inputs come back after a run', async () => {
    const reg = testRegistry(models);
    const m = await reg.require('test-tagger-2025');
    const h = host();
    const [a, b] = await Promise.all([h.load(m.onnxPath, m.manifest.sha256), h.load(m.onnxPath, m.manifest.sha256)]);
    expect(a).toBe(b);
    expect(a.info.inputs[0]).toEqual({ name: 'mixture', type: 'float32', shape: ['batch', 1, 'samples'] });
    const x = new Float32Array(32000).fill(0.5);
    const r = await a.run([{ data: x, dims: [1, 1, 32000] }]);
    expect(x.length).toBe(0); // moved to the worker…
    expect(r.inputs[0].length).toBe(32000); // …and handed back
    expect(r.outputs[0].dims).toEqual([1, 18]);
  });

  it('engine API: listModels, activateModels, doctor', async () => {
    const engine = new Engine({ shell: 'inprocess', inference: { threads: 1 } });
    try {
      const list = await engine.dispatch('listModels', {});
      expect(list.ok).toBe(true);
      const value = (list as { value: any }).value;
      expect(value.models.find((m: any) => m.id === 'wrong-hash')).toMatchObject({ valid: false, kind: 'separator' });
      const act = await engine.dispatch('activateModels', { ids: ['test-tagger-2025', 'test-sep-1'] });
      expect(act).toMatchObject({ ok: true, value: { tagger: 'test-tagger-2025', separator: 'test-sep-1', from: 'settings' } });
      const bad = await engine.dispatch('activateModels', { ids: ['no-sha'] });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_input' } });
      const doc = await engine.dispatch('doctor', {});
      expect(doc.ok).toBe(true);
      const report = (doc as { value: any }).value;
      expect(report.onnxruntime.version).toBe('1.30.0');
      expect(report.provider).toMatchObject({ verified: true, selected: expect.stringMatching(/cpu|cuda/) });
      expect(report.threads).toBe(1);
      expect(report.models.invalid.map((m: any) => m.id).sort()).toEqual(['no-sha', 'someone-else', 'wrong-hash', 'wrong-name', 'wrong-shape']);
    } finally {
      await engine.dispose();
    }
  });
});
