// A file path in the panel: its name shown whole (a long directory would wrap mid-hex and push the panel wide),
// the full path in the tooltip, and a button that copies the full path.
import { element } from './dom.js';

/** The last part of a path, whichever separator the server machine uses. */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** A long directory kept to its end, which tells one directory from another: "…/sandbox/023e…/". */
export function shortDirectory(path: string, max = 48): string {
  return path.length <= max ? path : `…${path.slice(path.length - max + 1)}`;
}

/** Copies text; without the clipboard permission, selects `node` so the person can copy it themselves. */
export async function copyText(text: string, node: Node, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
}

/** The path as a name with a copy button; `shown` replaces the name (a directory, say). */
export function pathView(path: string, shown = baseName(path)): HTMLElement {
  const box = element('span', undefined, 'path-box');
  const name = element('code', shown, 'file');
  name.title = path;
  name.dataset.path = path;
  const copy = element('button', 'Copy path', 'copy-path');
  copy.type = 'button';
  copy.setAttribute('aria-label', `Copy the full path ${path}`);
  copy.addEventListener('click', () => {
    // The full path, not the shortened text: selected in a hidden node when the clipboard is not allowed.
    const full = element('span', path, 'visually-hidden');
    box.append(full);
    void copyText(path, full, copy);
  });
  box.append(name, copy);
  return box;
}
