/** Which key presses belong to the focused control rather than to a view's single-key shortcuts. */
import { describe, expect, it } from 'vitest';
import { isTextEntry, keyOwnedByFocus, viewShortcutAllowed } from '../../../src/renderer/lib/shortcuts';

const el = (tagName: string, type?: string, extra: Partial<{ isContentEditable: boolean; role: string }> = {}) => ({
  tagName, type, isContentEditable: extra.isContentEditable ?? false, getAttribute: (n: string) => (n === 'role' ? (extra.role ?? null) : null),
});
const ev = (key: string, target: unknown, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key, target: target as EventTarget, ctrlKey: false, metaKey: false, altKey: false, defaultPrevented: false, isComposing: false, ...mods,
});

describe('view shortcuts', () => {
  it('never fire while typing in a field', () => {
    for (const t of [el('INPUT', 'text'), el('INPUT', 'search'), el('INPUT', 'number'), el('INPUT'), el('TEXTAREA'), el('SELECT'), el('DIV', undefined, { isContentEditable: true }), el('DIV', undefined, { role: 'textbox' })]) {
      expect(isTextEntry(t)).toBe(true);
      for (const k of [' ', 'a', 's', 'm', 'e', 'r', '+', '-', 'ArrowLeft']) expect(viewShortcutAllowed(ev(k, t))).toBe(false);
    }
  });
  it('leave space and Enter to a focused button or checkbox, arrows to a slider, and act on other keys', () => {
    for (const t of [el('BUTTON'), el('INPUT', 'checkbox'), el('INPUT', 'radio'), el('SUMMARY')]) {
      expect(keyOwnedByFocus(t, ' ')).toBe(true);
      expect(keyOwnedByFocus(t, 'Enter')).toBe(true);
      expect(viewShortcutAllowed(ev('s', t))).toBe(true);
    }
    const slider = el('INPUT', 'range');
    expect(viewShortcutAllowed(ev('ArrowLeft', slider))).toBe(false);
    expect(viewShortcutAllowed(ev(' ', slider))).toBe(true);
    expect(viewShortcutAllowed(ev('ArrowLeft', el('BUTTON')))).toBe(true);
  });
  it('act on the page itself but not with Ctrl, ⌘ or Alt (those are app or browser keys)', () => {
    expect(viewShortcutAllowed(ev(' ', el('BODY')))).toBe(true);
    expect(viewShortcutAllowed(ev('r', el('BODY'), { ctrlKey: true }))).toBe(false);
    expect(viewShortcutAllowed(ev('r', el('BODY'), { metaKey: true }))).toBe(false);
    expect(viewShortcutAllowed(ev('a', el('BODY'), { altKey: true }))).toBe(false);
    expect(viewShortcutAllowed(ev('a', null))).toBe(true);
  });
});
