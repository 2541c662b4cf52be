/**
 * Validates one model folder `<root>/<id>/`: manifest.json against ModelManifestSchema, the folder
 * name against the id, the ONNX file's presence and sha256, the manifest's roles (roles.ts), and
 * the ONNX graph's declared inputs/outputs (names by position, element types, shapes) against the
 * manifest. Never throws for a broken model: every problem becomes a message that names the file
 * and says what is wrong and what was expected; the registry refuses models with any error.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelManifestSchema, type ModelManifest, type TensorSpec } from '../../shared/manifest';
import { sha256File } from './hash';
import { OnnxFormatError, readOnnxIo, type OnnxTensorInfo } from './onnx-io';
import { checkRoles } from './roles';

export type ModelSource = 'shipped' | 'user';

export interface ModelEntry {
  /** The manifest's id, or the folder name when the manifest cannot be read. */
  id: string;
  dir: string;
  source: ModelSource;
  manifest: ModelManifest | null;
  /** Absolute path of the ONNX file (null when the manifest is unusable). */
  onnxPath: string | null;
  valid: boolean;
  errors: string[];
  warnings: string[];
}

export const MANIFEST_FILE = 'manifest.json';

/** Formats a zod issue path like `inputs[0].shape`. */
function fieldPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

async function readManifest(file: string): Promise<{ manifest: ModelManifest | null; errors: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { manifest: null, errors: [`${file}: ${code === 'ENOENT' ? 'missing (every model folder needs a manifest.json)' : `cannot be read (${code})`}`] };
  }
  // Editors on Windows save UTF-8 with a byte-order mark; JSON.parse refuses it, the content is fine.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { manifest: null, errors: [`${file}: not valid JSON (${(e as Error).message})`] };
  }
  const parsed = ModelManifestSchema.safeParse(raw);
  if (parsed.success) return { manifest: parsed.data, errors: [] };
  const errors = parsed.error.issues.map((issue) => {
    const where = fieldPath(issue.path);
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    if (missing) return `${file}: missing field '${where}'`;
    return `${file}: ${where ? `field '${where}': ` : ''}${issue.message}`;
  });
  return { manifest: null, errors };
}

function shapeText(shape: readonly (number | string | null)[] | null): string {
  return shape === null ? '(no shape)' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Problems between what the manifest declares and what the ONNX graph declares. */
export function compareIo(onnxFile: string, kind: 'input' | 'output', declared: readonly TensorSpec[], actual: readonly OnnxTensorInfo[]): string[] {
  const problems: string[] = [];
  if (declared.length !== actual.length) {
    problems.push(`${onnxFile}: the model has ${actual.length} ${kind}s (${actual.map((a) => a.name).join(', ')}), the manifest lists ${declared.length}`);
  }
  const n = Math.min(declared.length, actual.length);
  for (let i = 0; i < n; i++) {
    const d = declared[i];
    const a = actual[i];
    const label = `${onnxFile}: ${kind} ${i}`;
    if (d.name !== a.name) problems.push(`${onnxFile}: ${kind} ${i} is named '${a.name}' in the model but '${d.name}' in the manifest`);
    if (a.dtype !== null && a.dtype !== d.dtype) problems.push(`${label} '${a.name}' is ${a.dtype} in the model but ${d.dtype} in the manifest`);
    if (a.shape === null) continue;
    if (a.shape.length !== d.shape.length) {
      problems.push(`${label} '${a.name}' has shape ${shapeText(a.shape)} in the model but ${shapeText(d.shape)} in the manifest (rank ${a.shape.length} vs ${d.shape.length})`);
      continue;
    }
    for (let k = 0; k < d.shape.length; k++) {
      const ad = a.shape[k];
      const dd = d.shape[k];
      if (typeof ad !== 'number') continue; // symbolic in the graph: checked when the model runs
      if (typeof dd === 'number' && dd !== ad) {
        problems.push(`${label} '${a.name}' dimension ${k} is ${ad} in the model but ${dd} in the manifest (model ${shapeText(a.shape)}, manifest ${shapeText(d.shape)})`);
      } else if (typeof dd === 'string') {
        problems.push(`${label} '${a.name}' dimension ${k} is fixed to ${ad} in the model but the manifest declares it variable ('${dd}')`);
      }
    }
  }
  return problems;
}

export async function validateModelFolder(dir: string, source: ModelSource): Promise<ModelEntry> {
  const entry: ModelEntry = { id: path.basename(dir), dir, source, manifest: null, onnxPath: null, valid: false, errors: [], warnings: [] };
  const manifestFile = path.join(dir, MANIFEST_FILE);
  const { manifest, errors } = await readManifest(manifestFile);
  entry.errors.push(...errors);
  if (!manifest) return entry;
  entry.manifest = manifest;
  entry.id = manifest.id;
  if (manifest.id !== path.basename(dir)) {
    entry.errors.push(`${manifestFile}: id '${manifest.id}' differs from its folder name '${path.basename(dir)}' (a model lives in <models>/<id>/)`);
  }
  entry.errors.push(...checkRoles(manifest).map((p) => `${manifestFile}: ${p}`));
  // '', '.' and '..' are their own base names but name the folder or its parent, not a file in it.
  if (path.basename(manifest.onnx_file) !== manifest.onnx_file || /^\.*$/.test(manifest.onnx_file)) {
    entry.errors.push(`${manifestFile}: onnx_file '${manifest.onnx_file}' must be a file name inside the model folder`);
    return entry;
  }
  const onnxPath = path.join(dir, manifest.onnx_file);
  entry.onnxPath = onnxPath;
  try {
    const st = await stat(onnxPath);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    entry.errors.push(`${onnxPath}: ${code === 'ENOENT' ? 'missing (named by the manifest\'s onnx_file)' : `cannot be read (${code})`}`);
    return entry;
  }
  const actual = await sha256File(onnxPath);
  if (actual !== manifest.sha256) {
    entry.errors.push(`${onnxPath}: sha256 is ${actual} but the manifest says ${manifest.sha256} (the file was changed, corrupted or belongs to another manifest)`);
    return entry;
  }
  try {
    const io = await readOnnxIo(onnxPath);
    entry.errors.push(...compareIo(onnxPath, 'input', manifest.inputs, io.inputs), ...compareIo(onnxPath, 'output', manifest.outputs, io.outputs));
  } catch (e) {
    if (!(e instanceof OnnxFormatError)) throw e;
    entry.errors.push(`${onnxPath}: not a readable ONNX model (${e.message})`);
  }
  entry.valid = entry.errors.length === 0;
  return entry;
}
