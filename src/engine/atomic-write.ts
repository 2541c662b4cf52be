/**
 * Writing files and folders atomically: everything is written under a temporary name in the target
 * folder (`.<name>.<random>.part`, the one name the app and its tests treat as temporary) and
 * renamed over the final name only when complete. On any error the temporary file or folder is
 * removed, so a reader never sees half a file and an existing one is only replaced by a complete one.
 * The streaming writers (audio/write.ts, pipeline/zip.ts) keep their own file handle and use
 * `tempPathFor` for the name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A fresh temporary name beside `file`: `.<name>.<random>.part` in the same folder. */
export function tempPathFor(file: string, suffix = 'part'): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.${suffix}`);
}

/** Writes `data` to `file` through a temporary name + rename. The folder must exist. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** `value` as JSON (`indent` spaces, final newline), written atomically. */
export function writeJsonAtomic(file: string, value: unknown, indent = 2): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, indent)}\n`);
}

/**
 * Builds the folder `dir` in a temporary sibling (`fill` writes into it) and swaps it in: `dir` is
 * either the old folder or the complete new one. An existing `dir` is moved aside, replaced, then
 * deleted; if the swap fails the old folder is put back.
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(dir);
  try {
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    const old = tempPathFor(dir, 'old');
    const hadOld = await rename(dir, old).then(() => true, () => false);
    try {
      await rename(tmp, dir);
    } catch (e) {
      if (hadOld) await rename(old, dir).catch(() => undefined);
      throw e;
    }
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
