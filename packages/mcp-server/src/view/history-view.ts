// Earlier rotations from the server's audit log, folded under one summary line so that what is being confirmed and
// its buttons stay in sight. At most a few lines unfold; key files show as names with a copy button. An attempt
// that never recorded its outcome is the one thing here that changes the decision: then the list is open and amber.
import { $, element, setText, show } from './dom.js';
import { pathView } from './path-view.js';

/** Lines unfolded; the rest are counted, and `ipsec-psk history` lists them all. */
export const HISTORY_SHOWN_MAX = 5;

// Key files as the server writes them into its lines (absolute, ending .psk, maybe marked .not-applied).
const KEY_FILE = /((?:[A-Za-z]:)?[\\/][^\s()]*?\.psk(?:\.[a-z-]+)?)(?=[\s).,;]|$)/g;
// The server's own word for an attempt with no outcome (rotation-text.ts, unfinishedLine).
const UNFINISHED = /never recorded/;
// The server's cap line in a fleet's history ("- and 12 more lines in the audit log").
const MORE = /^- and (\d+) more\b/;

function item(line: string): HTMLLIElement {
  const node = element('li');
  const text = line.replace(/^- /, '');
  let at = 0;
  for (const match of text.matchAll(KEY_FILE)) {
    node.append(text.slice(at, match.index), pathView(match[1] as string));
    at = (match.index ?? 0) + (match[1] as string).length;
  }
  node.append(text.slice(at));
  if (UNFINISHED.test(line)) node.className = 'unfinished';
  return node;
}

/** The folded history; `command` is how to list all of it from a terminal. */
export function renderHistory(lines: readonly string[] | undefined, subject: string, command: string): void {
  const all = lines ?? [];
  const more = all.map((line) => MORE.exec(line)).find((match) => match !== null);
  const entries = all.filter((line) => !MORE.test(line));
  const total = entries.length + Number(more?.[1] ?? 0);
  const unfinished = entries.filter((line) => UNFINISHED.test(line)).length;
  show('history', total > 0);
  if (total === 0) return;

  const details = $<HTMLDetailsElement>('history');
  details.open = unfinished > 0;
  details.classList.toggle('attention', unfinished > 0);
  setText(
    'history-summary',
    `Earlier rotations of ${subject}: ${total}` +
      (unfinished > 0 ? ` — ${unfinished} never recorded an outcome: read before rotating` : ''),
  );
  const shown = entries.slice(0, HISTORY_SHOWN_MAX);
  const rest = total - shown.length;
  const items = shown.map(item);
  if (rest > 0) {
    const tail = element('li', `and ${rest} more: `, 'soft');
    tail.append(element('code', command));
    items.push(tail);
  }
  $('history-list').replaceChildren(...items);
}
