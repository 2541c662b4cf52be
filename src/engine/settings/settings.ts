/**
 * `settings.json` in the user data folder: validated with zod on every read, written to a
 * temporary name and renamed (a crash never leaves half a file). Unknown keys are kept, so
 * sections other parts of the app add survive a write from here. Writes are serialised per store.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from '../../shared/zod';
import { S5Error } from '../../shared/errors';
import { writeJsonAtomic } from '../atomic-write';

export const ActiveModelsSchema = z.object({
  tagger: z.string().nullable().default(null),
  separator: z.string().nullable().default(null),
  /** The stem verifier: an id, null = none (the user switched verification off); absent = the default (first valid one). */
  verifier: z.string().nullable().optional(),
});
export type ActiveModels = z.infer<typeof ActiveModelsSchema>;

export const SettingsSchema = z.looseObject({
  schema_version: z.literal(1).default(1),
  /** The tagger + separator pair used by `separate`/`tag` when no models are named. */
  active_models: ActiveModelsSchema.default({ tagger: null, separator: null }),
});
export type Settings = z.infer<typeof SettingsSchema>;

export class SettingsStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The current settings; defaults when the file does not exist yet. */
  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return SettingsSchema.parse({});
      throw new S5Error('bad_input', `cannot be read (${(e as Error).message})`, this.file);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new S5Error('bad_input', `not valid JSON (${(e as Error).message}); fix or delete the file`, this.file);
    }
    const parsed = SettingsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new S5Error('bad_input', `${issue.path.join('.') || '(top level)'}: ${issue.message}; fix or delete the file`, this.file);
    }
    return parsed.data;
  }

  /** Reads, applies `change`, validates and writes atomically; resolves with what was written. */
  update(change: (current: Settings) => Settings): Promise<Settings> {
    const next = this.queue.then(async () => {
      const updated = SettingsSchema.parse(change(await this.load()));
      await mkdir(path.dirname(this.file), { recursive: true });
      try {
        await writeJsonAtomic(this.file, updated);
      } catch (e) {
        throw new S5Error('bad_input', `cannot be written (${(e as Error).message})`, this.file);
      }
      return updated;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
