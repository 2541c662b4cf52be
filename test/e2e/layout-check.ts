/**
 * Layout checks for the layout e2e tests (issue #16), run inside the page:
 *  - overlap: no two visible text boxes intersect. A text box is a line box of a non-empty text
 *    node (HTML or SVG), clipped by every ancestor that clips (so an ellipsised name or a
 *    scrolled-away row counts only where it is seen), or a form control (input, select,
 *    textarea). While a modal dialog is open only the dialog is checked: the page behind it is
 *    inert.
 *  - overflow: no element sticks out sideways of the nearest ancestor that clips it (its panel),
 *    nor past the window; no scroll container scrolls sideways.
 *  - cut: a placeholder, or the selected option of a select, fits its control.
 * Returns one line per problem, naming the texts or elements involved.
 */
import type { Page } from 'playwright-core';

export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Box = { l: number; t: number; r: number; b: number };
    const problems: string[] = [];
    const modal = document.querySelector('[aria-modal="true"]');
    const root: Element = modal ?? document.body;
    const view: Box = { l: 0, t: 0, r: window.innerWidth, b: window.innerHeight };
    const meet = (a: Box, b: Box): Box => ({ l: Math.max(a.l, b.l), t: Math.max(a.t, b.t), r: Math.min(a.r, b.r), b: Math.min(a.b, b.b) });
    const empty = (a: Box) => a.r - a.l < 0.5 || a.b - a.t < 0.5;
    const describe = (el: Element): string => {
      const id = el.closest('[data-testid]')?.getAttribute('data-testid');
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/).filter((c) => !c.startsWith('svelte-'))[0] ?? ''}` : '';
      return `${el.tagName.toLowerCase()}${cls}${id ? ` in [${id}]` : ''}`;
    };
    const clipsX = (s: CSSStyleDeclaration) => s.overflowX !== 'visible';
    const clipsY = (s: CSSStyleDeclaration) => s.overflowY !== 'visible';
    const inner = (el: Element): Box => {
      const r = el.getBoundingClientRect();
      const h = el as HTMLElement;
      const l = r.left + (h.clientLeft || 0);
      const t = r.top + (h.clientTop || 0);
      return { l, t, r: l + (h.clientWidth || r.width), b: t + (h.clientHeight || r.height) };
    };
    /** The part of the window where `el`'s content can be seen (every clipping ancestor, itself included). */
    const clipOf = (el: Element | null): Box => {
      let box = view;
      for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
        if (a instanceof SVGElement && !(a instanceof SVGSVGElement)) continue;
        const s = getComputedStyle(a);
        if (clipsX(s) || clipsY(s)) {
          const c = inner(a);
          box = meet(box, { l: clipsX(s) ? c.l : -1e9, t: clipsY(s) ? c.t : -1e9, r: clipsX(s) ? c.r : 1e9, b: clipsY(s) ? c.b : 1e9 });
        }
      }
      return box;
    };
    const visible = (el: Element) =>
      el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && !el.closest('option, title, script, style, noscript, [hidden]');

    // --- overlap ----------------------------------------------------------------------------------
    const boxes: { box: Box; text: string; el: Element }[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent ?? '';
      if (!text.trim()) continue;
      const el = n.parentElement;
      if (!el || !visible(el) || el.closest('select, textarea')) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const clip = clipOf(el);
      for (const r of Array.from(range.getClientRects())) {
        const box = meet({ l: r.left, t: r.top, r: r.right, b: r.bottom }, clip);
        if (!empty(box)) boxes.push({ box, text: text.trim().slice(0, 40), el });
      }
    }
    for (const el of Array.from(root.querySelectorAll('input, select, textarea'))) {
      if (!visible(el) || (el as HTMLInputElement).type === 'hidden') continue;
      const r = el.getBoundingClientRect();
      const box = meet({ l: r.left, t: r.top, r: r.right, b: r.bottom }, clipOf(el.parentElement));
      if (!empty(box)) boxes.push({ box, text: `<${el.tagName.toLowerCase()} ${(el as HTMLInputElement).type ?? ''}>`, el });
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        if (a.el === b.el && a.el.tagName !== 'INPUT' && a.el.tagName !== 'SELECT') continue; // lines of one text
        const m = meet(a.box, b.box);
        if (m.r - m.l > 1 && m.b - m.t > 1) {
          problems.push(`overlap: “${a.text}” (${describe(a.el)}) × “${b.text}” (${describe(b.el)}) by ${(m.r - m.l).toFixed(0)}×${(m.b - m.t).toFixed(0)} px`);
        }
      }
    }

    // --- overflow ---------------------------------------------------------------------------------
    const doc = document.scrollingElement ?? document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 1) problems.push(`overflow: the page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
    for (const el of Array.from(root.querySelectorAll('*'))) {
      if (el instanceof SVGElement && !(el instanceof SVGSVGElement)) continue;
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const s = getComputedStyle(el);
      if (s.position === 'fixed') continue;
      if (clipsX(s) && (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`overflow: ${describe(el)} scrolls sideways (${el.scrollWidth} px of content in ${el.clientWidth} px)`);
      }
      let panel: Element | null = el.parentElement;
      while (panel && panel !== document.documentElement && !clipsX(getComputedStyle(panel))) panel = panel.parentElement;
      const p = panel && panel !== document.documentElement ? inner(panel) : view;
      // Only what can be seen vertically matters (a row scrolled away is not a sideways overflow).
      const clip = clipOf(el.parentElement);
      if (r.bottom <= clip.t || r.top >= clip.b) continue;
      if (r.right > p.r + 1 || r.left < p.l - 1) {
        problems.push(`overflow: ${describe(el)} [${r.left.toFixed(0)}–${r.right.toFixed(0)}] sticks out of ${panel && panel !== document.documentElement ? describe(panel) : 'the window'} [${p.l.toFixed(0)}–${p.r.toFixed(0)}]`);
      }
    }

    // --- text cut in controls ---------------------------------------------------------------------
    const ctx = document.createElement('canvas').getContext('2d')!;
    const fits = (el: HTMLElement, text: string, reserve: number) => {
      const s = getComputedStyle(el);
      ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - reserve;
      return ctx.measureText(text).width <= room + 1;
    };
    for (const el of Array.from(root.querySelectorAll('input'))) {
      if (!visible(el) || el.value || !el.placeholder) continue;
      if (!fits(el, el.placeholder, 0)) problems.push(`cut: the placeholder “${el.placeholder}” does not fit ${describe(el)} (${el.clientWidth} px)`);
    }
    for (const el of Array.from(root.querySelectorAll('select'))) {
      if (!visible(el) || el.selectedIndex < 0) continue;
      const text = el.options[el.selectedIndex].text;
      if (!fits(el, text, 18)) problems.push(`cut: “${text}” does not fit ${describe(el)} (${el.clientWidth} px)`);
    }
    return problems;
  });
}

/** The sizes every layout test checks. */
export const LAYOUT_SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;
