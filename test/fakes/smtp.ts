// A local SMTP server for tests (the same catcher `npm start` runs): the real
// nodemailer client talks SMTP to it over TCP, and it keeps every message it accepted.
import { startSmtpCatcher } from '../../scripts/lib/dev-mail';

export interface CapturedMail {
  to: string[];
  raw: string;
  header(name: string): string | undefined;
}

export interface FakeSmtp {
  url: string;
  messages: CapturedMail[];
  close(): Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const messages: CapturedMail[] = [];
  const { server, url } = await startSmtpCatcher(0, ({ to, raw }) => {
    const unfolded = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
    messages.push({
      to,
      raw,
      header: (name) => unfolded.split(/\r?\n/).find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim(),
    });
  });
  return { url, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
