/**
 * Property-based fuzzing of the official-layout name parser (src/engine/metrics/layout.ts):
 *   - round trip: for any soundscape name (any Unicode, underscores, digits), label and optional
 *     2026 index, `<name>(_<i>)?_<Label>.wav` parses back to that label and index;
 *   - arbitrary file names never make parseSourceName throw, and a successful parse is always a
 *     name the rule allows (rebuilt from its parts);
 *   - attributeFiles over arbitrary soundscape / file name sets: each file goes to exactly one
 *     soundscape, the longest one whose name parses, or the call fails with an S5Error naming a
 *     file of the folder.
 */
import path from 'node:path';
import fc from 'fast-check';
import { attributeFiles, parseSourceName } from '../../src/engine/metrics/layout';
import { S5Error } from '../../src/shared/errors';
import { TASK_LABELS, TASKS, type Task } from '../../src/shared/labels';

/** Soundscape names come from file names: anything but '/' and NUL. */
const nameArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((n) => !n.includes('/') && !n.includes('\0')),
  fc.stringMatching(/^[a-z0-9_]{1,16}$/),
  fc.constantFrom('mix', 'mix_1', 'mix_10', 'soundscape_0001', '0', '_', 'a_Speech'),
);

export function fuzzLayoutNames(runs: number, seed?: number): void {
  const opts = { numRuns: runs, ...(seed !== undefined ? { seed } : {}) };
  fc.assert(
    fc.property(fc.constantFrom(...TASKS), nameArb, fc.nat(), fc.option(fc.nat({ max: 99 }), { nil: undefined }), (task: Task, name, li, index) => {
      const labels = TASK_LABELS[task];
      const label = labels[li % labels.length];
      const useIndex = task === 'dcase2026t4' ? index : undefined;
      const file = `${name}_${useIndex === undefined ? '' : `${useIndex}_`}${label}.wav`;
      const r = parseSourceName(task, name, file);
      if (!r.ok) throw new Error(`${file}: ${r.problem}`);
      if (r.label !== label) throw new Error(`label ${r.label} ≠ ${label}`);
      if ((r.index ?? undefined) !== useIndex) throw new Error(`index ${r.index} ≠ ${useIndex}`);
    }),
    opts,
  );
  fc.assert(
    fc.property(fc.constantFrom(...TASKS), nameArb, fc.oneof(fc.string({ maxLength: 40, unit: 'grapheme' }), nameArb.map((n) => `${n}.wav`)), (task: Task, name, file) => {
      const r = parseSourceName(task, name, file);
      if (!r.ok) {
        if (typeof r.problem !== 'string' || r.problem.length === 0) throw new Error('a refusal without a reason');
        return;
      }
      const rebuilt = `${name}_${r.index === null ? '' : `${file.slice(name.length + 1).split('_')[0]}_`}${r.label}.wav`;
      if (rebuilt !== file) throw new Error(`${file} parsed as ${JSON.stringify(r)}`);
      if (!(TASK_LABELS[task] as readonly string[]).includes(r.label)) throw new Error(`unknown label ${r.label}`);
    }),
    opts,
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...TASKS),
      fc.uniqueArray(nameArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.option(fc.nat({ max: 3 }), { nil: undefined }), fc.option(fc.string({ maxLength: 6 }).filter((s) => !s.includes('/')), { nil: undefined })), { maxLength: 8 }),
      (task: Task, names, specs) => {
        const labels = TASK_LABELS[task];
        const files = [
          ...new Set(
            specs.map(([ni, li, idx, junk]) => junk ?? `${names[ni % names.length]}_${idx === undefined ? '' : `${idx}_`}${labels[li % labels.length]}.wav`),
          ),
        ].filter((f) => f.endsWith('.wav'));
        const dir = '/corpus/oracle';
        let map;
        try {
          map = attributeFiles(task, names, files, dir, 'oracle', []);
        } catch (e) {
          if (!(e instanceof S5Error) || e.code !== 'bad_input' || !e.file?.startsWith(dir + path.sep)) throw e;
          return;
        }
        const placed = [...map.values()].flat().map((f) => path.basename(f.path));
        if (new Set(placed).size !== placed.length) throw new Error('a file attributed twice');
        for (const [name, list] of map) {
          if (!names.includes(name)) throw new Error(`unknown soundscape ${name}`);
          for (const f of list) {
            const base = path.basename(f.path);
            const parse = parseSourceName(task, name, base);
            if (!parse.ok) throw new Error(`${base} attributed to ${name} but does not parse`);
            const longer = names.filter((n) => n.length > name.length && base.startsWith(n + '_') && parseSourceName(task, n, base).ok);
            if (longer.length) throw new Error(`${base} attributed to ${name}, not the longer ${longer[0]}`);
          }
        }
      },
    ),
    opts,
  );
}
