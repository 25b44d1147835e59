// The development mail catcher: an SMTP server `npm start` runs when no
// SMTP_URL is configured, which keeps the last messages in memory, and a page
// that lists them (newest first) with their text, so a developer can read the
// security alerts the worker sends. Never used in production (SMTP_URL set).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface DevMail {
  smtpUrl: string;
  pageUrl: string;
  close(): Promise<void>;
}

interface Kept {
  at: Date;
  to: string[];
  raw: string;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The subject header and the text part of a message (enough for a development inbox). */
function summary(raw: string): { subject: string; text: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const subject = /^subject:\s*(.*)$/im.exec(head.replace(/\r?\n[ \t]+/g, ' '))?.[1] ?? '(no subject)';
  const body = rest.join('\n\n');
  const plain = /content-type:\s*text\/plain[^]*?\r?\n\r?\n([^]*?)(\r?\n--|$)/i.exec(body)?.[1] ?? body;
  return { subject, text: plain.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) };
}

export interface CatcherOptions {
  /**
   * Awaited once a message's DATA has arrived, before the server answers: a test holds the
   * answer here. A message whose client hung up meanwhile was never accepted (an SMTP server
   * takes a message only with its 250), so it is not handed to `onMessage`. A throw refuses the
   * message with the error's `responseCode` (a test's failing mailbox).
   */
  beforeAccept?: (message: { to: string[]; clientGone: () => boolean }) => Promise<void>;
}

/**
 * A plain SMTP server on 127.0.0.1 (no auth, no STARTTLS) that hands every accepted
 * message to `onMessage`: the development catcher below, and the tests' fake.
 */
export async function startSmtpCatcher(
  port: number,
  onMessage: (message: { to: string[]; raw: string }) => void,
  { beforeAccept }: CatcherOptions = {},
): Promise<{ server: SMTPServer; url: string }> {
  const closed = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        void (async () => {
          try {
            if (beforeAccept) await beforeAccept({ to, clientGone: () => closed.has(session.id) });
          } catch (err) {
            return done(err as Error); // refused: the error's responseCode (e.g. 451) is the answer
          }
          if (closed.has(session.id)) return; // the client is gone: nothing was accepted
          onMessage({ to, raw: Buffer.concat(chunks).toString('utf8') });
          done();
        })();
      });
    },
  });
  // A client hanging up mid-session (a worker killed while sending: ECONNRESET) is an 'error'
  // event on the server; unheard, it would be thrown and end the whole process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}` };
}

export async function startDevMail({ smtpPort = 0, pagePort = 0, keep = 200 } = {}): Promise<DevMail> {
  const messages: Kept[] = [];
  const { server: smtp, url: smtpUrl } = await startSmtpCatcher(smtpPort, (message) => {
    messages.unshift({ at: new Date(), ...message });
    messages.splice(keep);
  });
  const page = http.createServer((_req, res) => {
    const items = messages.map((m) => {
      const { subject, text } = summary(m.raw);
      return `<article><h2>${escapeHtml(subject)}</h2><p>To ${escapeHtml(m.to.join(', '))}, ${m.at.toISOString()}</p><pre>${escapeHtml(text)}</pre></article>`;
    });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
    res.end(`<!doctype html><title>Sotally development mail</title><h1>Development mail (${messages.length})</h1>${items.join('') || '<p>No mail yet.</p>'}`);
  });
  await new Promise<void>((resolve) => page.listen(pagePort, '127.0.0.1', resolve));
  return {
    smtpUrl,
    pageUrl: `http://localhost:${(page.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => page.close(() => resolve()));
    },
  };
}
