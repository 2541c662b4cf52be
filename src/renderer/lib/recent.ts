/** Recently opened files, newest first, kept in localStorage (at most RECENT_MAX, no duplicates). */
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
