/**
 * The model registry: discovers model folders in the shipped models folder and the user's model
 * folder (`<data>/models`), validates each (validate.ts), resolves the active tagger + separator
 * pair (settings.json, else a default), and imports, activates and removes models. A broken or
 * mismatched model is listed with its errors and refused wherever it would be used.
 */
import { cp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { isVerifier, type ModelManifest } from '../../shared/manifest';
import { writeDirAtomic } from '../atomic-write';
import { shippedModelsDir, settingsFile, userModelsDir } from '../settings/paths';
import { SettingsStore, type ActiveModels } from '../settings/settings';
import { checkPair, checkVerifier } from './roles';
import { MANIFEST_FILE, validateModelFolder, type ModelEntry, type ModelSource } from './validate';

export interface ModelRoot {
  dir: string;
  source: ModelSource;
}

export interface RegistryOptions {
  /** Folders holding `<id>/` model folders; default: shipped, then user. */
  roots?: ModelRoot[];
  settings?: SettingsStore;
  /** Where `import` copies models to (default: the user models folder). */
  userDir?: string;
}

/** A model that passed validation. */
export interface ValidModel {
  entry: ModelEntry;
  manifest: ModelManifest;
  onnxPath: string;
}

export interface ActivePair {
  tagger: ValidModel | null;
  separator: ValidModel | null;
  /** 'settings' when settings.json named both, else 'default'. */
  from: 'settings' | 'default';
  /** The stem verifier (a third, optional role): null when none is installed or the user chose none. */
  verifier: ValidModel | null;
  /** 'settings': chosen by the user (also 'none'); 'default': the first valid verifier that fits the separator. */
  verifierFrom: 'settings' | 'default';
  warnings: string[];
}

export type ModelRole = 'tagger' | 'separator' | 'verifier';

/** The role a manifest plays: a tagger-kind model with a verification block is a verifier. */
export function modelRole(m: Pick<ModelManifest, 'kind' | 'verification'>): ModelRole {
  return isVerifier(m) ? 'verifier' : m.kind;
}

function asValid(entry: ModelEntry): ValidModel | null {
  return entry.valid && entry.manifest && entry.onnxPath ? { entry, manifest: entry.manifest, onnxPath: entry.onnxPath } : null;
}

function refuse(entry: ModelEntry): S5Error {
  const file = entry.onnxPath ?? path.join(entry.dir, MANIFEST_FILE);
  return new S5Error('bad_input', `model '${entry.id}' (${entry.dir}) cannot be used:\n  ${entry.errors.join('\n  ')}`, file);
}

export class ModelRegistry {
  readonly roots: ModelRoot[];
  readonly settings: SettingsStore;
  readonly userDir: string;

  constructor(opts: RegistryOptions = {}) {
    this.userDir = opts.userDir ?? userModelsDir();
    this.roots = opts.roots ?? [
      { dir: shippedModelsDir(), source: 'shipped' },
      { dir: this.userDir, source: 'user' },
    ];
    this.settings = opts.settings ?? new SettingsStore(settingsFile());
  }

  /** Every model folder of every root (shipped first, then by folder name), validated. */
  async list(): Promise<ModelEntry[]> {
    const entries: ModelEntry[] = [];
    const seen = new Map<string, ModelEntry>();
    for (const root of this.roots) {
      let names: string[];
      try {
        names = (await readdir(root.dir, { withFileTypes: true }))
          .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
          .map((d) => d.name)
          .sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new S5Error('bad_input', `the ${root.source} models folder cannot be read (${(e as NodeJS.ErrnoException).code})`, root.dir);
      }
      for (const name of names) {
        const entry = await validateModelFolder(path.join(root.dir, name), root.source);
        const first = seen.get(entry.id);
        if (first) {
          entry.errors.push(`model id '${entry.id}' is also used by ${first.dir}; ids must be unique (the first one found is used)`);
          entry.valid = false;
        } else {
          seen.set(entry.id, entry);
        }
        entries.push(entry);
      }
    }
    return entries;
  }

  /** The entry of `id`; not_found lists the ids that exist. */
  async get(id: string): Promise<ModelEntry> {
    const all = await this.list();
    const entry = all.find((e) => e.id === id);
    if (!entry) {
      const known = all.map((e) => e.id);
      throw new S5Error('not_found', `no model '${id}' (${known.length ? `known: ${known.join(', ')}` : `no models installed in ${this.roots.map((r) => r.dir).join(' or ')}`})`);
    }
    return entry;
  }

  /** The validated model `id`, or an error listing everything wrong with it. */
  async require(id: string): Promise<ValidModel> {
    const entry = await this.get(id);
    const valid = asValid(entry);
    if (!valid) throw refuse(entry);
    return valid;
  }

  /**
   * The pair to use: the one in settings.json when both are valid and compatible, else the first
   * valid tagger (shipped before user, then by id) with the first valid separator compatible with it.
   */
  async activePair(): Promise<ActivePair> {
    const all = await this.list();
    const warnings: string[] = [];
    const { active_models: wanted } = await this.settings.load();
    const pick = (id: string | null, role: ModelRole): ValidModel | null => {
      if (id === null) return null;
      const entry = all.find((e) => e.id === id);
      const valid = entry ? asValid(entry) : null;
      if (!entry) warnings.push(`settings: the active ${role} '${id}' is not installed; using a default`);
      else if (!valid) warnings.push(`settings: the active ${role} '${id}' is broken (${entry.errors[0]}); using a default`);
      else if (modelRole(valid.manifest) !== role) warnings.push(`settings: '${id}' is a ${modelRole(valid.manifest)}, not a ${role}; using a default`);
      else return valid;
      return null;
    };
    const valid = all.map(asValid).filter((v): v is ValidModel => v !== null);
    const withVerifier = (p: Omit<ActivePair, 'verifier' | 'verifierFrom'>): ActivePair => ({ ...p, ...this.pickVerifier(valid, p.separator, wanted.verifier, pick, warnings) });
    let tagger = pick(wanted.tagger, 'tagger');
    let separator = pick(wanted.separator, 'separator');
    if (tagger && separator) {
      const pair = checkPair(tagger.manifest, separator.manifest);
      if (pair.errors.length === 0) return withVerifier({ tagger, separator, from: 'settings', warnings });
      warnings.push(`settings: the active models cannot work together (${pair.errors.join('; ')}); using a compatible separator`);
    }
    const taggers = tagger ? [tagger] : valid.filter((v) => modelRole(v.manifest) === 'tagger');
    for (const t of taggers) {
      const s = separator && checkPair(t.manifest, separator.manifest).errors.length === 0
        ? separator
        : valid.find((v) => v.manifest.kind === 'separator' && checkPair(t.manifest, v.manifest).errors.length === 0) ?? null;
      if (s) return withVerifier({ tagger: t, separator: s, from: 'default', warnings });
    }
    tagger = tagger ?? taggers[0] ?? null;
    separator = separator ?? valid.find((v) => v.manifest.kind === 'separator') ?? null;
    return withVerifier({ tagger, separator, from: 'default', warnings });
  }

  /** The verifier for `separator`: the one in settings (null there = none), else the first valid one that fits. */
  private pickVerifier(
    valid: ValidModel[], separator: ValidModel | null, wanted: string | null | undefined,
    pick: (id: string | null, role: ModelRole) => ValidModel | null, warnings: string[],
  ): Pick<ActivePair, 'verifier' | 'verifierFrom'> {
    if (wanted === null) return { verifier: null, verifierFrom: 'settings' };
    const fits = (v: ValidModel) => !separator || checkVerifier(v.manifest, separator.manifest).errors.length === 0;
    if (wanted !== undefined) {
      const chosen = pick(wanted, 'verifier');
      if (chosen && fits(chosen)) return { verifier: chosen, verifierFrom: 'settings' };
      if (chosen && separator) warnings.push(`settings: the active verifier '${wanted}' cannot check separator '${separator.manifest.id}' (${checkVerifier(chosen.manifest, separator.manifest).errors.join('; ')}); using a default`);
    }
    return { verifier: valid.find((v) => modelRole(v.manifest) === 'verifier' && fits(v)) ?? null, verifierFrom: 'default' };
  }

  /**
   * The models for one run: `ids` (any order, a tagger, optionally a separator and a verifier) or
   * the active ones. `needSeparator` false = tagging only (no separator, no verifier).
   * `opts.verifier`: a verifier id, null = none, undefined = the named or active one.
   */
  async resolve(
    ids: readonly string[] | undefined, needSeparator: boolean, opts: { verifier?: string | null } = {},
  ): Promise<{ tagger: ValidModel; separator: ValidModel | null; verifier: ValidModel | null; warnings: string[] }> {
    let tagger: ValidModel | null = null;
    let separator: ValidModel | null = null;
    let verifier: ValidModel | null = null;
    let warnings: string[] = [];
    const named = [...(ids ?? []), ...(typeof opts.verifier === 'string' ? [opts.verifier] : [])];
    if (named.length > 0) {
      for (const id of named) {
        const m = await this.require(id);
        if (modelRole(m.manifest) === 'verifier') {
          if (verifier && verifier.manifest.id !== id) throw new S5Error('invalid_request', `two verifiers named ('${verifier.manifest.id}', '${id}'); name at most one`);
          verifier = m;
        } else if (m.manifest.kind === 'tagger') {
          if (tagger) throw new S5Error('invalid_request', `two taggers named ('${tagger.manifest.id}', '${id}'); name one tagger and one separator`);
          tagger = m;
        } else {
          if (separator) throw new S5Error('invalid_request', `two separators named ('${separator.manifest.id}', '${id}'); name one tagger and one separator`);
          separator = m;
        }
      }
    }
    const wantActiveVerifier = needSeparator && !verifier && opts.verifier === undefined;
    if (!tagger || (needSeparator && !separator) || wantActiveVerifier) {
      const active = await this.activePair();
      warnings = active.warnings;
      tagger = tagger ?? active.tagger;
      if (needSeparator) separator = separator ?? active.separator;
      // The active verifier only when it fits the separator actually used.
      if (wantActiveVerifier && active.verifier && separator && checkVerifier(active.verifier.manifest, separator.manifest).errors.length === 0) verifier = active.verifier;
      if (wantActiveVerifier && !verifier && separator && active.verifierFrom === 'default') {
        const all = (await this.list()).map(asValid).filter((v): v is ValidModel => v !== null);
        verifier = all.find((v) => modelRole(v.manifest) === 'verifier' && checkVerifier(v.manifest, (separator as ValidModel).manifest).errors.length === 0) ?? null;
      }
    }
    const where = this.roots.map((r) => r.dir).join(' or ');
    if (!tagger) throw new S5Error('not_found', `no usable tagger model: install one in ${where} ('s5 models list' shows what is there and what is wrong)`);
    if (needSeparator && !separator) throw new S5Error('not_found', `no usable separator model: install one in ${where} ('s5 models list' shows what is there and what is wrong)`);
    if (separator) {
      const pair = checkPair(tagger.manifest, separator.manifest);
      if (pair.errors.length) throw new S5Error('invalid_request', `these models cannot work together: ${pair.errors.join('; ')}`);
      warnings.push(...pair.warnings);
    }
    if (!needSeparator || !separator) verifier = null;
    if (verifier && separator) {
      const fit = checkVerifier(verifier.manifest, separator.manifest);
      if (fit.errors.length) throw new S5Error('invalid_request', `the verifier cannot check these stems: ${fit.errors.join('; ')}`);
      warnings.push(...fit.warnings);
    }
    return { tagger, separator: needSeparator ? separator : null, verifier, warnings };
  }

  /**
   * Makes `ids` (a tagger, a separator and/or a verifier, one of each at most) the active ones;
   * `verifier` null switches verification off (undefined: left as it is unless `ids` names one).
   */
  async activate(ids: readonly string[], opts: { verifier?: string | null } = {}): Promise<ActiveModels> {
    if (ids.length > 3 || (ids.length === 0 && opts.verifier === undefined)) {
      throw new S5Error('invalid_request', 'activate one tagger, one separator and/or one verifier (1 to 3 model ids), or choose a verifier (or none)');
    }
    const models = await Promise.all([...ids, ...(typeof opts.verifier === 'string' ? [opts.verifier] : [])].map((id) => this.require(id)));
    const roles = models.map((m) => modelRole(m.manifest));
    const twice = roles.find((r, i) => roles.indexOf(r) !== i);
    if (twice) {
      const ids2 = models.filter((m) => modelRole(m.manifest) === twice).map((m) => `'${m.manifest.id}'`);
      throw new S5Error('invalid_request', `both models are ${twice}s (${ids2.join(', ')}); activate at most one tagger, one separator and one verifier`);
    }
    const current = await this.activePair();
    const tagger = models.find((m) => modelRole(m.manifest) === 'tagger') ?? current.tagger;
    const separator = models.find((m) => modelRole(m.manifest) === 'separator') ?? current.separator;
    const verifier = opts.verifier === null ? null : models.find((m) => modelRole(m.manifest) === 'verifier');
    if (tagger && separator) {
      const pair = checkPair(tagger.manifest, separator.manifest);
      if (pair.errors.length) throw new S5Error('invalid_request', `cannot activate: ${pair.errors.join('; ')}`);
    }
    if (verifier && separator) {
      const fit = checkVerifier(verifier.manifest, separator.manifest);
      if (fit.errors.length) throw new S5Error('invalid_request', `cannot activate: ${fit.errors.join('; ')}`);
    }
    const written = await this.settings.update((s) => {
      const before = s.active_models as ActiveModels;
      const next: ActiveModels = { tagger: tagger?.manifest.id ?? null, separator: separator?.manifest.id ?? null };
      const v = verifier === null ? null : verifier ? verifier.manifest.id : before.verifier;
      if (v !== undefined) next.verifier = v;
      return { ...s, active_models: next };
    });
    return written.active_models;
  }

  /**
   * Copies a model folder (or the folder of a given manifest.json / .onnx) into the user models
   * folder as `<id>/`, after validating it. `force` replaces an existing user model of that id.
   */
  async importModel(source: string, opts: { force?: boolean } = {}): Promise<ModelEntry> {
    const abs = path.resolve(source);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new S5Error('not_found', `no such file or folder`, abs);
    }
    if (st.isFile() && /\.(ckpt|pt|pth)$/i.test(abs)) {
      throw new S5Error('unsupported', `PyTorch checkpoints are converted to ONNX by the trainer first; import the folder it writes (model.onnx + manifest.json)`, abs);
    }
    const dir = st.isDirectory() ? abs : path.dirname(abs);
    const candidate = await validateModelFolder(dir, 'user');
    const idErrors = candidate.errors.filter((e) => !/differs from its folder name/.test(e));
    if (idErrors.length > 0 || !candidate.manifest || !candidate.onnxPath) {
      throw refuse({ ...candidate, errors: idErrors.length ? idErrors : candidate.errors });
    }
    const { id, onnx_file: onnxFile } = candidate.manifest;
    const existing = (await this.list()).find((e) => e.id === id);
    if (existing && path.resolve(existing.dir) === dir) return existing;
    if (existing && existing.source === 'shipped') throw new S5Error('invalid_request', `a shipped model already has the id '${id}' (${existing.dir}); change the id in ${path.join(dir, MANIFEST_FILE)}`);
    if (existing && !opts.force) throw new S5Error('invalid_request', `a model '${id}' is already installed (${existing.dir}); remove it first or import with --force`);
    const target = path.join(this.userDir, id);
    await writeDirAtomic(target, async (tmp) => {
      for (const name of [MANIFEST_FILE, onnxFile, 'MODEL_CARD.md']) {
        const from = path.join(dir, name);
        if (name === 'MODEL_CARD.md' && !(await stat(from).catch(() => null))) continue;
        await cp(from, path.join(tmp, name));
      }
      const check = await validateModelFolder(tmp, 'user');
      const copyErrors = check.errors.filter((e) => !/differs from its folder name/.test(e));
      if (copyErrors.length) throw refuse({ ...check, errors: copyErrors });
    });
    return validateModelFolder(target, 'user');
  }

  /** Deletes a user model (shipped models cannot be removed) and clears it from the active pair. */
  async remove(id: string): Promise<void> {
    const entry = await this.get(id);
    if (entry.source !== 'user') throw new S5Error('invalid_request', `'${id}' is a shipped model (${entry.dir}); only user models can be removed`);
    await rm(entry.dir, { recursive: true, force: true });
    const { active_models: a } = await this.settings.load();
    if (a.tagger === id || a.separator === id || a.verifier === id) {
      await this.settings.update((s) => {
        const next: ActiveModels = { tagger: a.tagger === id ? null : a.tagger, separator: a.separator === id ? null : a.separator };
        // A removed verifier falls back to the default; "none" stays none.
        if (a.verifier !== undefined && a.verifier !== id) next.verifier = a.verifier;
        return { ...s, active_models: next };
      });
    }
  }
}
