/**
 * `s5 models list|info|import|activate|remove`: the model registry from the command line (the same
 * registry the GUI's Models view and the pipeline use).
 */
import type { ModelInfo } from '../../shared/api';
import { activeInfo, listModelInfo, toModelInfo } from '../../engine/models/info';
import { ModelRegistry } from '../../engine/models/registry';
import { EXIT, UsageError, type CliIO, type Command } from '../io';
import { CALIBRATE_HELP, runCalibrate } from './calibrate';
import { parseWithFiles, RUNTIME_OPTIONS } from './separate';

const HELP = `Usage: s5 models list [--json]
       s5 models info ID [--json]
       s5 models import PATH [--force]
       s5 models activate [ID…] [--verifier ID|none]
       s5 models remove ID
${CALIBRATE_HELP.replace(/^\s+/, '       ')}

Models live in the shipped models folder and in the user's folder (<data>/models/<id>/,
data = $S5_DATA_DIR, else $XDG_DATA_HOME/s5-studio, else ~/.local/share/s5-studio). Each
is a folder with model.onnx and manifest.json; a model whose manifest is incomplete, whose
ONNX file's sha256 or inputs/outputs disagree with the manifest is listed as broken, with
the reason, and is never used.

  list       every model: id, role (tagger, separator, verifier), task, rate/window,
             validity; * marks the active ones
  info ID    the manifest summary and every problem found
  import P   copy a model folder (or the folder of P = manifest.json / model.onnx) into the
             user folder after checking it; --force replaces a user model with that id
  activate   make a tagger, a separator and/or a stem verifier the active ones (saved in
             settings.json); --verifier none switches stem verification off
  remove ID  delete a user model (shipped models cannot be removed)

Options: --json (list, info, calibrate), --force (import, calibrate), --threads N and
--provider P (calibrate), -h/--help.
Exit status: 0 success, 1 data error, 2 usage error.
`;

const OPTIONS = {
  ...RUNTIME_OPTIONS,
  soundscapes: { type: 'string' },
  oracle: { type: 'string' },
  id: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  verifier: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const modelsCommand: Command = { name: 'models', summary: 'list, check, import, activate and remove models', help: HELP, run: runModels };

function row(m: ModelInfo): string {
  const what = m.kind ? `${(m.role ?? m.kind).padEnd(9)} ${m.task}  ${m.sample_rate} Hz ${m.window_seconds} s  ${m.channels} ch  ${m.slots} slot${m.slots === 1 ? '' : 's'}` : '(manifest unreadable)';
  const state = m.valid ? 'ok' : `BROKEN: ${m.errors[0]}${m.errors.length > 1 ? ` (+${m.errors.length - 1} more)` : ''}`;
  return `${m.active ? '*' : ' '} ${m.id.padEnd(24)} ${what}  [${m.source}]  ${state}`;
}

function expectArgs(sub: string, positionals: string[], min: number, max: number): void {
  if (positionals.length < min) throw new UsageError(`models ${sub}: missing ${min - positionals.length === 1 && max === 1 ? 'ID' : 'argument'}`);
  if (positionals.length > max) throw new UsageError(`models ${sub}: unexpected argument '${positionals[max]}'`);
}

async function runModels(args: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseWithFiles(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const [sub, ...rest] = positionals;
  const registry = new ModelRegistry();
  switch (sub) {
    case 'list': {
      expectArgs(sub, rest, 0, 0);
      const list = await listModelInfo(registry);
      if (v.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      else {
        io.stdout(list.models.length ? `${list.models.map(row).join('\n')}\n` : `no models in ${list.roots.map((r) => r.dir).join(' or ')}\n`);
        for (const w of list.active.warnings) io.stderr(`s5: warning: ${w}\n`);
      }
      return EXIT.ok;
    }
    case 'info': {
      expectArgs(sub, rest, 1, 1);
      const entry = await registry.get(rest[0]);
      const info = toModelInfo(entry, await registry.activePair());
      if (v.json) io.stdout(`${JSON.stringify({ ...info, manifest: entry.manifest }, null, 2)}\n`);
      else {
        const m = entry.manifest;
        io.stdout(`${row(info)}\n  folder    ${entry.dir}\n`);
        if (m) io.stdout(`  name      ${m.name}\n  arch      ${m.architecture}, ${m.params} parameters\n  inputs    ${m.inputs.map((t) => `${t.name} [${t.shape.join(', ')}]`).join('; ')}\n  outputs   ${m.outputs.map((t) => `${t.name} [${t.shape.join(', ')}]`).join('; ')}\n${m.decision ? `  decision  threshold ${m.decision.threshold}${m.decision.thresholds ? ` (per class: ${Object.entries(m.decision.thresholds).map(([l, t]) => `${l} ${t}`).join(', ')})` : ''}, events ${m.decision.min_events}…${m.decision.max_events}\n` : ''}  licence   ${m.licence}\n`);
        for (const e of entry.errors) io.stdout(`  error     ${e}\n`);
      }
      return entry.valid ? EXIT.ok : EXIT.dataError;
    }
    case 'import': {
      expectArgs(sub, rest, 1, 1);
      const entry = await registry.importModel(rest[0], { force: v.force });
      io.stdout(`imported '${entry.id}' into ${entry.dir}\n`);
      return EXIT.ok;
    }
    case 'activate': {
      expectArgs(sub, rest, v.verifier === undefined ? 1 : 0, 3);
      await registry.activate(rest, { verifier: v.verifier === undefined ? undefined : v.verifier === 'none' ? null : v.verifier });
      const a = activeInfo(await registry.activePair());
      io.stdout(`active: tagger ${a.tagger ?? '-'}, separator ${a.separator ?? '-'}, verifier ${a.verifier ?? 'none'}\n`);
      return EXIT.ok;
    }
    case 'remove': {
      expectArgs(sub, rest, 1, 1);
      await registry.remove(rest[0]);
      io.stdout(`removed '${rest[0]}'\n`);
      return EXIT.ok;
    }
    case 'calibrate': {
      expectArgs(sub, rest, 1, 1);
      return runCalibrate(rest[0], v, io);
    }
    case undefined:
      throw new UsageError('models: name a subcommand: list, info, import, activate, remove, calibrate');
    default:
      throw new UsageError(`models: unknown subcommand '${sub}' (list, info, import, activate, remove, calibrate)`);
  }
}
