import { randomBytes } from 'node:crypto';
import type { Secret } from '@ipsec-psk/core';
import express, { type Express, type Request, type Response } from 'express';
import type { KeyLinkOffer } from '../tools/key-page.js';

// The key reaches a remote human too. Over HTTP the key file is on the server's machine; a user whose host shows
// no panel (a terminal assistant talking to a remote server) cannot read it. So the server can offer, by URL-mode
// elicitation (the host shows the link to the user, never to the model), a one-time page that shows the key once.
// Whoever opens it must prove to be the principal the key was made for, with the access token their client uses
// (the spec's rule for URL elicitation: verify the user who opens the URL); a wrong token, a second visit, or five
// minutes forget the link. The key is read from its file at that moment: this page holds no copy.

/** How long a link lives. */
const LINK_TTL_MS = 5 * 60_000;
/** Wrong tokens a link survives before it is forgotten. */
const MAX_ATTEMPTS = 3;
const PATH = '/keys/';
const ID = /^[A-Za-z0-9_-]{43}$/;

interface Link {
  principal: string;
  accountId: string;
  tunnelId: string;
  file: string;
  fingerprint: string;
  expiresAt: number;
  attempts: number;
}

/** What the links need from the HTTP mode. */
export interface KeyLinksOptions {
  /** Where clients reach this server (the links are made on its origin). */
  publicUrl: URL;
  /** The principal an access token belongs to (bearer list or OAuth), or undefined when it is not valid. */
  principalOf(token: string): Promise<string | undefined>;
  readKey(file: string): Promise<Secret | undefined>;
  now?: () => number;
}

const HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const htmlText = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set(HEADERS)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${htmlText(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;` +
        `padding:0 1rem}code{font-size:1.2rem;word-break:break-all;background:#eee;padding:.3rem}</style></head>` +
        `<body><h1>${htmlText(title)}</h1>${body}</body></html>`,
    );
}

const GONE =
  '<p>This link is not valid (any more): it works once, for five minutes, and only with the right access token. ' +
  'Nothing was shown. The key is still in its file on the server; ask the assistant to offer the page again.</p>';

/** One-time pages that show a rotation's new key, each to its principal alone. */
export class KeyLinks implements KeyLinkOffer {
  private readonly links = new Map<string, Link>();
  private readonly now: () => number;
  private base: URL;

  constructor(private readonly options: KeyLinksOptions) {
    this.now = options.now ?? Date.now;
    this.base = options.publicUrl;
  }

  /** Where the server listens, once it does: the links' origin when the public URL names no real port (port 0). */
  listening(url: URL): void {
    if (this.options.publicUrl.port === '0') this.base = url;
  }

  offer(key: {
    principal: string;
    accountId: string;
    tunnelId: string;
    file: string;
    fingerprint: string;
  }): string {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    this.links.set(id, { ...key, expiresAt: this.now() + LINK_TTL_MS, attempts: 0 });
    return new URL(`${PATH}${id}`, this.base).href;
  }

  /** Serves the pages: GET asks for the access token, POST shows the key (then the link is gone). */
  mount(app: Express): void {
    app.get(`${PATH}:id`, (req, res) => this.ask(req, res));
    app.post(
      `${PATH}:id`,
      express.urlencoded({ extended: false, limit: 8192 }),
      (req, res) => void this.show(req, res),
    );
  }

  private live(id: unknown): Link | undefined {
    if (typeof id !== 'string' || !ID.test(id)) return undefined;
    const link = this.links.get(id);
    if (link && link.expiresAt <= this.now()) this.links.delete(id);
    return link && link.expiresAt > this.now() ? link : undefined;
  }

  private ask(req: Request, res: Response): void {
    const link = this.live(req.params.id);
    if (!link) {
      page(res, 404, 'Link not valid', GONE);
      return;
    }
    page(
      res,
      200,
      'The new pre-shared key',
      `<p>The key of IPsec tunnel <b>${htmlText(link.tunnelId)}</b> in account ${htmlText(link.accountId)} ` +
        `(fingerprint ${htmlText(link.fingerprint)}) is shown once, to the person it was made for.</p>` +
        '<form method="post"><p><label>Your access token for this server (the one your assistant uses):<br>' +
        '<input type="password" name="token" autocomplete="off" required size="50"></label></p>' +
        '<p><button type="submit">Show the key once</button></p></form>',
    );
  }

  private async show(req: Request, res: Response): Promise<void> {
    const id = req.params.id;
    const link = this.live(id);
    if (!link || typeof id !== 'string') return page(res, 404, 'Link not valid', GONE);
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const principal =
      typeof token === 'string' && token !== '' ? await this.options.principalOf(token) : undefined;
    if (principal !== link.principal) {
      link.attempts += 1;
      if (link.attempts >= MAX_ATTEMPTS) this.links.delete(id);
      return page(
        res,
        403,
        'Not shown',
        '<p>That access token is not the one of the person this key was made for. Nothing was shown.</p>',
      );
    }
    this.links.delete(id);
    const psk = await this.options.readKey(link.file).catch(() => undefined);
    if (!psk) return page(res, 410, 'Key file not found', `<p>${htmlText(link.file)} could not be read.</p>`);
    page(
      res,
      200,
      'The new pre-shared key',
      `<p>Tunnel <b>${htmlText(link.tunnelId)}</b>, fingerprint ${htmlText(link.fingerprint)}:</p>` +
        `<p><code>${htmlText(psk.reveal())}</code></p><p>Configure it on the customer device. This page will not ` +
        `show it again; the key stays in ${htmlText(link.file)} on the server.</p>`,
    );
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, link] of this.links) if (link.expiresAt <= now) this.links.delete(id);
  }
}
