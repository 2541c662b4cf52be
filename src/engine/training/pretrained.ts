/**
 * The official M2D-AT recipe's pretrained backbone (issue #14): the baseline fine-tunes M2D-AT
 * from the M2D encoder its README downloads. The app expects it at
 * `<data>/pretrained/<M2D_AS_FOLDER>/<M2D_AS_FILE>` (the folder the official zip unpacks to; the
 * trainer's `default_m2d_weights()` is the same place) unless the user chooses another file, and
 * checks it with the trainer's own check, `python -m s5trainer m2d-weights FILE --json`, whose
 * JSON is validated here (it crosses a process boundary). On top of the trainer's layout check the
 * file must be the official size (12 blocks × 768, 311 position tokens), since the recipe builds
 * the official-size M2D-AT. Results are reused while the file (size, mtime, inode) is unchanged.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from '../../shared/zod';
import type { TrainPretrainedCheck, TrainRequestParsed } from '../../shared/api-train';
import { S5Error } from '../../shared/errors';
import { m2datStage } from './config';
import { trainerCwd, trainerEnv } from './python';

export const M2D_AS_FOLDER = 'm2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly';
export const M2D_AS_FILE = 'weights_ep69it3124-0.47998.pth';
export const M2D_AS_URL = `https://github.com/nttcslab/m2d/releases/download/v0.3.0/${M2D_AS_FOLDER}.zip`;
/** What the official-size M2D-AT (ViT-Base, 10-s windows of 80-mel log-mel at 32 kHz) loads. */
export const M2D_OFFICIAL = { depth: 12, dim: 768, tokens: 311 } as const;

/** Where the app looks for the encoder when no file is chosen. */
export function defaultM2dWeights(dataDir: string): string {
  return path.join(dataDir, 'pretrained', M2D_AS_FOLDER, M2D_AS_FILE);
}

/** `s5trainer m2d-weights FILE --json` (trainer/s5trainer/export/cli.py); extra fields are dropped. */
const TrainerReportSchema = z.union([
  z.object({
    ok: z.literal(true),
    file: z.string(),
    depth: z.number().int(),
    dim: z.number().int(),
    tokens: z.number().int(),
    norm_stats: z.array(z.number()),
    norm_stats_default: z.boolean(),
    warnings: z.array(z.string()),
  }),
  z.object({ ok: z.literal(false), file: z.string(), error: z.string() }),
]);

interface Exec { code: number | null; stdout: string; stderr: string; spawnError: Error | null }

function run(python: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(python, args, { cwd: trainerCwd(), env, timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout: String(stdout), stderr: String(stderr),
        spawnError: e && typeof e.code === 'string' ? e : null,
      });
    });
  });
}

/** The trainer's messages start with `<file>: `; the file travels in its own field. */
function withoutFile(message: string, file: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

const cache = new Map<string, TrainPretrainedCheck>();

/**
 * Checks `file` (default: `defaultM2dWeights(dataDir)`) with the trainer's check, run by `python`
 * (null: no Python with torch was found). Never throws: a problem is reported in `problem`.
 */
export async function checkM2dWeights(python: string | null, file: string | undefined, dataDir: string, timeoutMs = 180_000): Promise<TrainPretrainedCheck> {
  const defaultFile = defaultM2dWeights(dataDir);
  const target = path.resolve(file ?? defaultFile);
  const base = { file: target, default_file: defaultFile, url: M2D_AS_URL, encoder: null, warnings: [] };
  if (!python) {
    return { ...base, ok: false, problem: 'no Python with PyTorch to check it with (see the device check at the top of Train)' };
  }
  const st = await stat(target).catch(() => null);
  const key = st ? [python, target, st.size, st.mtimeMs, st.ino].join('\0') : null;
  const known = key ? cache.get(key) : undefined;
  if (known) return known;

  // S5_DATA_DIR: the trainer's messages then name the app's own default place.
  const r = await run(python, ['-m', 's5trainer', 'm2d-weights', target, '--json'], trainerEnv({ S5_DATA_DIR: dataDir }), timeoutMs);
  const line = r.stdout.trim().split('\n').filter(Boolean).slice(-1)[0];
  let report: z.infer<typeof TrainerReportSchema> | null = null;
  try {
    report = line ? TrainerReportSchema.parse(JSON.parse(line)) : null;
  } catch {
    report = null;
  }
  let result: TrainPretrainedCheck;
  if (!report) {
    const why = r.spawnError ? `${python} could not be started (${r.spawnError.message})`
      : (r.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit code ${r.code}`).slice(0, 400);
    result = { ...base, ok: false, problem: `the trainer's check (s5trainer m2d-weights) gave no report: ${why}` };
  } else if (!report.ok) {
    result = { ...base, ok: false, problem: withoutFile(report.error, target) };
  } else {
    const encoder = { depth: report.depth, dim: report.dim, tokens: report.tokens, norm_stats: report.norm_stats, norm_stats_default: report.norm_stats_default };
    const official = report.depth === M2D_OFFICIAL.depth && report.dim === M2D_OFFICIAL.dim && report.tokens === M2D_OFFICIAL.tokens;
    result = {
      ...base, ok: official, encoder, warnings: report.warnings,
      problem: official ? null
        : `an M2D encoder of ${report.depth} blocks × ${report.dim} with ${report.tokens} position tokens; the official M2D-AT recipe (ViT-Base, 10-s windows at 32 kHz) `
          + `needs ${M2D_AS_FOLDER}/${M2D_AS_FILE}: ${M2D_OFFICIAL.depth} blocks × ${M2D_OFFICIAL.dim}, ${M2D_OFFICIAL.tokens} position tokens (download ${M2D_AS_URL})`,
    };
  }
  if (key && report) cache.set(key, result);
  return result;
}

/**
 * Before a run starts: a stage-1 M2D-AT run (head only, from the pretrained encoder) needs a usable
 * encoder file; otherwise the start is refused naming the file and what is wrong with it.
 */
export async function requirePretrainedEncoder(python: string, req: TrainRequestParsed, dataDir: string): Promise<void> {
  if (m2datStage(req) !== 'head' || req.base.from !== 'pretrained') return;
  const encoder = await checkM2dWeights(python, req.base.path, dataDir);
  if (!encoder.ok) {
    throw new S5Error('bad_input', `the run was not started: the pretrained M2D encoder of the M2D-AT recipe cannot be used: ${encoder.problem}`, encoder.file);
  }
}
