/**
 * Model cards are Markdown written by whoever made the model, so they are untrusted. They are
 * parsed with markdown-it (HTML disabled: any raw HTML stays text) into a small tree of allowed
 * elements, which a Svelte component renders as elements and text nodes: no HTML string is ever
 * inserted into the page. Allowed: headings, paragraphs, lists, block quotes, code, emphasis,
 * tables (alignment as a class, not an inline style the CSP would refuse), rules, line breaks,
 * and links to http(s)/mailto addresses only. Images become their alt text (the CSP loads no
 * remote images).
 */
import MarkdownIt, { type Token } from 'markdown-it';

export const BLOCK_TAGS = ['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td'] as const;
export const INLINE_TAGS = ['em', 'strong', 's', 'code', 'a'] as const;
export type MdTag = (typeof BLOCK_TAGS)[number] | (typeof INLINE_TAGS)[number] | 'hr' | 'br';

export type MdNode =
  | { kind: 'text'; text: string }
  | { kind: 'element'; tag: MdTag; href?: string; align?: 'left' | 'center' | 'right'; children: MdNode[] };

const ALLOWED = new Set<string>([...BLOCK_TAGS, ...INLINE_TAGS, 'hr', 'br']);

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** An attribute of a token as a string (markdown-it types them string | number). */
const attr = (t: Token, name: string): string => String(t.attrGet(name) ?? '');

function safeHref(href: string): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:' ? u.href : undefined;
  } catch {
    return undefined; // relative links point into a folder the page cannot reach
  }
}

function alignOf(t: Token): 'left' | 'center' | 'right' | undefined {
  const m = /text-align:\s*(left|center|right)/.exec(attr(t, 'style'));
  return m ? (m[1] as 'left' | 'center' | 'right') : undefined;
}

/** Appends `tokens` to the open element on top of `stack`. */
function build(tokens: readonly Token[], stack: { children: MdNode[] }[]): void {
  const top = () => stack[stack.length - 1].children;
  const text = (s: string) => {
    const list = top();
    const last = list[list.length - 1];
    if (last?.kind === 'text') last.text += s;
    else list.push({ kind: 'text', text: s });
  };
  for (const t of tokens) {
    if (t.type === 'inline') {
      build(t.children ?? [], stack);
    } else if (t.hidden) {
      // the paragraphs of a tight list item: their content belongs to the item itself
    } else if (t.nesting === 1) {
      const tag = t.tag;
      const el: MdNode = { kind: 'element', tag: (ALLOWED.has(tag) ? tag : 'p') as MdTag, children: [] };
      if (tag === 'a') el.href = safeHref(attr(t, 'href'));
      if (tag === 'th' || tag === 'td') el.align = alignOf(t);
      // A disallowed container keeps its content in a neutral element of the same level.
      if (!ALLOWED.has(tag)) el.tag = t.block ? 'p' : 'em';
      top().push(el);
      stack.push(el);
    } else if (t.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (t.type === 'text' || t.type === 'html_inline' || t.type === 'html_block') {
      text(t.content);
    } else if (t.type === 'code_inline') {
      top().push({ kind: 'element', tag: 'code', children: [{ kind: 'text', text: t.content }] });
    } else if (t.type === 'fence' || t.type === 'code_block') {
      top().push({ kind: 'element', tag: 'pre', children: [{ kind: 'element', tag: 'code', children: [{ kind: 'text', text: t.content.replace(/\n$/, '') }] }] });
    } else if (t.type === 'softbreak') {
      text(' ');
    } else if (t.type === 'hardbreak') {
      top().push({ kind: 'element', tag: 'br', children: [] });
    } else if (t.type === 'hr') {
      top().push({ kind: 'element', tag: 'hr', children: [] });
    } else if (t.type === 'image') {
      text(t.content || attr(t, 'alt'));
    } else if (t.content) {
      text(t.content);
    }
  }
}

/** The Markdown `source` as a tree of allowed elements and text. */
export function markdownTree(source: string): MdNode[] {
  const root = { children: [] as MdNode[] };
  build(md.parse(source, {}), [root]);
  return root.children;
}
