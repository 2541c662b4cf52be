/**
 * Who owns a key press: single-key view shortcuts (Scene: space, A, S, M, E, arrows, +/−; Live:
 * space, R) must not act while the user types in a field, nor take a key a focused control
 * handles itself (space/Enter on a button or checkbox, arrows on a slider or radio group).
 * Pure, so it is unit-tested; views call `viewShortcutAllowed(event)` first.
 */

/** The parts of a focused element the decision needs (an Element satisfies it). */
export interface FocusTarget {
  tagName: string;
  type?: string;
  isContentEditable?: boolean;
  getAttribute?(name: string): string | null;
}

/** Input types that are not text entry (every other input type takes typed characters). */
const NON_TEXT_INPUTS = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image']);
/** Controls that act on space and Enter themselves. */
const PRESSABLE_INPUTS = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'color', 'file', 'image']);
const ARROWS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown']);

/** Whether the focused element takes text (so every printable key and arrow belongs to it). */
export function isTextEntry(t: FocusTarget | null): boolean {
  if (!t) return false;
  const tag = t.tagName.toUpperCase();
  if (t.isContentEditable) return true;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((t.type ?? 'text').toLowerCase());
  const role = t.getAttribute?.('role');
  return role === 'textbox' || role === 'combobox' || role === 'spinbutton';
}

/** Whether `key` with focus on `t` belongs to that element rather than to a view shortcut. */
export function keyOwnedByFocus(t: FocusTarget | null, key: string): boolean {
  if (!t) return false;
  if (isTextEntry(t)) return true;
  const tag = t.tagName.toUpperCase();
  const type = (t.type ?? '').toLowerCase();
  const pressable = tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'A' || (tag === 'INPUT' && PRESSABLE_INPUTS.has(type));
  if (pressable && (key === ' ' || key === 'Enter')) return true;
  // Sliders and radio groups move with the arrow keys.
  if (tag === 'INPUT' && (type === 'range' || type === 'radio') && ARROWS.has(key)) return true;
  return false;
}

/** Common gate for single-key view shortcuts: no modifiers (Shift allowed), not handled elsewhere, not owned by the focus. */
export function viewShortcutAllowed(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'defaultPrevented' | 'isComposing' | 'target'>): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || e.isComposing) return false;
  const t = e.target as unknown as FocusTarget | null;
  return !(t && typeof t.tagName === 'string' && keyOwnedByFocus(t, e.key));
}
