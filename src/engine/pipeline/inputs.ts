/**
 * Expands the recordings named on a command line: files are taken as they are (the decoder says
 * whether they are audio); a folder contributes its audio files (by extension, not recursive,
 * sorted by name). Refuses two inputs that would write to the same output folder.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { recordingName } from './outputs';

export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.ogg', '.oga', '.mp3', '.rf64', '.bw64', '.amb'];

/** `uniqueNames`: refuse two recordings with the same base name (they would share an output folder). */
export async function expandInputs(inputs: readonly string[], uniqueNames = true): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = await stat(input);
    } catch {
      throw new S5Error('not_found', 'no such file or folder', input);
    }
    if (!st.isDirectory()) {
      files.push(input);
      continue;
    }
    const found = (await readdir(input, { withFileTypes: true }))
      .filter((d) => d.isFile() && AUDIO_EXTENSIONS.includes(path.extname(d.name).toLowerCase()))
      .map((d) => path.join(input, d.name))
      .sort();
    if (found.length === 0) throw new S5Error('bad_input', `the folder holds no audio files (${AUDIO_EXTENSIONS.join(', ')})`, input);
    files.push(...found);
  }
  const byName = new Map<string, string>();
  for (const f of uniqueNames ? files : []) {
    const name = recordingName(f);
    const other = byName.get(name);
    if (other !== undefined) throw new S5Error('bad_input', `has the same name as ${other}; both would write to the output folder '${name}'`, f);
    byName.set(name, f);
  }
  return files;
}
