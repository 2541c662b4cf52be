/**
 * A recording's name: its file name without the last extension. The engine writes a recording's
 * stems to `<outDir>/<name>/`; the Scene view's batch queue uses the same name to refuse two files
 * that would share an output folder. Both separators count (`/` and `\`), as in Windows paths;
 * trailing separators are ignored, as `path.basename` does. A dot file keeps its whole name.
 */
export function recordingName(file: string): string {
  const trimmed = file.replace(/[\\/]+$/, '');
  const base = trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
  return base.replace(/\.[^.]*$/, '') || base;
}
