/**
 * What the UI shows for a failed call. Errors arrive as `S5Error` in web mode, but an Error that
 * crossed Electron's contextBridge may have lost its class, so the fields are read by shape.
 */
export interface ErrorView {
  message: string;
  code?: string;
  file?: string;
}

export function toErrorView(err: unknown, fallbackFile?: string): ErrorView {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = err as { message?: unknown; code?: unknown; file?: unknown };
    const view: ErrorView = { message: typeof e.message === 'string' && e.message ? e.message : 'Unknown error' };
    if (typeof e.code === 'string') view.code = e.code;
    if (typeof e.file === 'string') view.file = e.file;
    else if (fallbackFile) view.file = fallbackFile;
    return view;
  }
  const view: ErrorView = { message: String(err) };
  if (fallbackFile) view.file = fallbackFile;
  return view;
}

/** One line for places that show a single string: the file first, as the CLI prints it. */
export function errorText(err: unknown, fallbackFile?: string): string {
  const v = toErrorView(err, fallbackFile);
  return v.file && !v.message.includes(v.file) ? `${v.file}: ${v.message}` : v.message;
}
