/** Recently opened files, newest first, kept in localStorage (at most RECENT_MAX, no duplicates). */
import { CHANNEL_FORMATS, type ChannelFormat } from '../../shared/audio';

export const RECENT_MAX = 10;
const KEY = 's5.recentFiles.v1';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled (privacy settings, opaque origin)
  }
}

export function loadRecent(): string[] {
  const raw = storage()?.getItem(KEY);
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((p): p is string => typeof p === 'string' && p.length > 0).slice(0, RECENT_MAX);
  } catch {
    return [];
  }
}

/** Pure: the list after opening `path`. */
export function withRecent(list: readonly string[], path: string): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, RECENT_MAX);
}

export function saveRecent(list: readonly string[]): void {
  try {
    storage()?.setItem(KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  } catch {
    // quota or disabled storage: the list just isn't remembered
  }
}

/**
 * The channel format the user declared per file (path → format), so reopening a file (Recent, the
 * path field, a batch row) reads it the way the user said. Newest last; at most DECLARED_MAX.
 */
export const DECLARED_MAX = 200;
const DECLARED_KEY = 's5.declaredFormats.v1';

export type DeclaredFormats = Readonly<Record<string, ChannelFormat>>;

export function loadDeclared(): DeclaredFormats {
  const raw = storage()?.getItem(DECLARED_KEY);
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, ChannelFormat> = {};
    for (const [p, f] of Object.entries(parsed)) {
      if (p && (CHANNEL_FORMATS as readonly string[]).includes(f as string)) out[p] = f as ChannelFormat;
    }
    return out;
  } catch {
    return {};
  }
}

/** Pure: the map after declaring `format` for `path` (null forgets it), oldest dropped past the cap. */
export function withDeclared(map: DeclaredFormats, path: string, format: ChannelFormat | null): DeclaredFormats {
  const entries = Object.entries(map).filter(([p]) => p !== path);
  if (format) entries.push([path, format]);
  return Object.fromEntries(entries.slice(-DECLARED_MAX));
}

export function saveDeclared(map: DeclaredFormats): void {
  try {
    storage()?.setItem(DECLARED_KEY, JSON.stringify(map));
  } catch {
    // quota or disabled storage: the declaration just isn't remembered
  }
}
