/** Small wording helpers for evaluation warnings and errors (counts and example lists). */

/** "1 file", "3 files". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The first `max` items, comma-separated, with an ellipsis when there are more. */
export function examples(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, …` : shown;
}
