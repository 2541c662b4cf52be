/**
 * Validate an exported model folder the way the app will: manifest.json against
 * ModelManifestSchema (src/shared/manifest.ts), the ONNX file's sha256, and the ONNX input/output
 * names as seen by onnxruntime-node.
 *
 *   npx tsx test/tools/validate-manifest.ts DIR [DIR...] [--no-session] [--app]
 *
 * --app additionally runs the app's own model-folder validation (src/engine/models:
 * roles, id = folder name, ONNX I/O shapes) when that module is present.
 * Prints one JSON line per folder ({dir, ok, errors}); exit code 0 when all pass, 1 otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifestSchema } from '../../src/shared/manifest';

async function appCheck(dir: string): Promise<string[]> {
  let mod: { validateModelFolder?: (d: string, s: never) => Promise<{ errors: string[] }> };
  try {
    mod = await import('../../src/engine/models/validate');
  } catch {
    return []; // the app's validator is not available in this checkout
  }
  if (!mod.validateModelFolder) return [];
  const entry = await mod.validateModelFolder(dir, 'user' as never);
  return entry.errors.map((e) => `app: ${e}`);
}

async function check(dir: string, session: boolean, app: boolean): Promise<{ dir: string; ok: boolean; errors: string[] }> {
  const errors: string[] = [];
  const mf = join(dir, 'manifest.json');
  if (!existsSync(mf)) return { dir, ok: false, errors: ['manifest.json missing'] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(mf, 'utf8'));
  } catch (e) {
    return { dir, ok: false, errors: [`manifest.json is not JSON: ${String(e)}`] };
  }
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { dir, ok: false, errors };
  }
  const m = parsed.data;
  const onnx = join(dir, m.onnx_file);
  if (!existsSync(onnx)) {
    errors.push(`${m.onnx_file} missing`);
  } else {
    const sha = createHash('sha256').update(readFileSync(onnx)).digest('hex');
    if (sha !== m.sha256) errors.push(`sha256 mismatch: file ${sha}, manifest ${m.sha256}`);
    if (session) {
      const ort = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(onnx);
      const ins = m.inputs.map((t) => t.name).join(',');
      const outs = m.outputs.map((t) => t.name).join(',');
      if (s.inputNames.join(',') !== ins) errors.push(`inputs: onnx [${s.inputNames}] vs manifest [${ins}]`);
      if (s.outputNames.join(',') !== outs) errors.push(`outputs: onnx [${s.outputNames}] vs manifest [${outs}]`);
    }
  }
  if (app) errors.push(...(await appCheck(dir)));
  return { dir, ok: errors.length === 0, errors };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const session = !args.includes('--no-session');
  const app = args.includes('--app');
  const dirs = args.filter((a) => !a.startsWith('--'));
  if (!dirs.length) {
    console.error('usage: validate-manifest.ts DIR [DIR...] [--no-session]');
    return 2;
  }
  let ok = true;
  for (const d of dirs) {
    const r = await check(d, session, app);
    ok &&= r.ok;
    console.log(JSON.stringify(r));
  }
  return ok ? 0 : 1;
}

main().then((c) => process.exit(c), (e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
