/** Model cards: Markdown → a tree of allowed elements and text; raw HTML and unsafe links never become elements. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownTree, type MdNode } from '../../../src/renderer/lib/markdown';

const textOf = (nodes: MdNode[]): string => nodes.map((n) => (n.kind === 'text' ? n.text : textOf(n.children))).join('');
const all = (nodes: MdNode[]): MdNode[] => nodes.flatMap((n) => (n.kind === 'text' ? [n] : [n, ...all(n.children)]));
const tags = (nodes: MdNode[]) => all(nodes).flatMap((n) => (n.kind === 'element' ? [n.tag] : []));

describe('markdownTree', () => {
  it('renders the shipped tagger card: heading, bold, code, tables, lists; no Markdown syntax left in the text', () => {
    const card = readFileSync(path.resolve(__dirname, '../../../models/s5-tag-small-v2/MODEL_CARD.md'), 'utf8');
    const tree = markdownTree(card);
    expect(tree[0]).toMatchObject({ kind: 'element', tag: 'h1' });
    expect(textOf([tree[0]])).toBe('S5 default tag-small (v2: level-normalised, real-room fine-tune)');
    const t = tags(tree);
    for (const tag of ['h2', 'ul', 'li', 'strong', 'code', 'table', 'thead', 'th', 'td', 'pre']) expect(t, tag).toContain(tag);
    const text = textOf(tree);
    expect(text).not.toMatch(/\*\*|\|---|`/);
    expect(text).toContain('s5-tag-small-v2');
    // A table cell holds the input name as code.
    const td = all(tree).find((n) => n.kind === 'element' && n.tag === 'td');
    expect(td && textOf([td])).toBe('mixture');
  });

  it('keeps raw HTML as text and drops unsafe links; images become their alt text; alignment is a class', () => {
    const tree = markdownTree([
      '<img id="x" src="y"> <b onclick="z">bold?</b>',
      '',
      '[ok](https://example.org/a) [bad](javascript:alert(1)) [rel](../MODEL.md) ![a chart](https://example.org/c.png)',
      '',
      '| l | r |',
      '|:--|--:|',
      '| 1 | 2 |',
    ].join('\n'));
    expect(tags(tree)).not.toContain('img');
    expect(textOf(tree)).toContain('<img id="x" src="y"> <b onclick="z">bold?</b>');
    const links = all(tree).filter((n) => n.kind === 'element' && n.tag === 'a') as Extract<MdNode, { kind: 'element' }>[];
    // markdown-it refuses javascript: as a link at all; the relative one is a link without a target.
    expect(links.map((l) => [textOf(l.children), l.href])).toEqual([['ok', 'https://example.org/a'], ['rel', undefined]]);
    expect(textOf(tree)).toContain('a chart');
    const cells = all(tree).filter((n) => n.kind === 'element' && (n.tag === 'td' || n.tag === 'th')) as Extract<MdNode, { kind: 'element' }>[];
    expect(cells.map((c) => c.align)).toEqual(['left', 'right', 'left', 'right']);
  });
});
