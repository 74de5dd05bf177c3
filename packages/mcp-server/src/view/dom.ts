// The panel's few DOM helpers. Everything from the server is written as text (textContent), never as HTML.

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export const show = (id: string, visible = true) => {
  $(id).hidden = !visible;
};

export const setText = (id: string, text: string) => {
  $(id).textContent = text;
};

/** An element with text content (never parsed as HTML) and an optional class. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** The panel's headline: what is asked, or what happened. */
export function lead(text: string): void {
  setText('lead', text);
}

export type Tone = 'plain' | 'success' | 'warning' | 'danger';

/** The notice under the facts: the server's words, or the panel's. */
export function message(text: string, tone: Tone = 'plain'): void {
  const node = $('message');
  node.textContent = text;
  node.className = `notice ${tone === 'plain' ? '' : tone === 'danger' ? 'danger-notice' : tone}`;
  node.hidden = text === '';
}
