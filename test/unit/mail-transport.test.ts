// The SMTP transport keeps its timeouts (nodemailer drops every option given beside a `url`),
// so a hung SMTP exchange ends within the outbox's 60 s send transaction.
import { createTransport } from '../../src/mail/transport';

it('takes host, port, TLS and credentials from SMTP_URL and keeps the timeouts', () => {
  const plain = createTransport('smtp://127.0.0.1:2525')!;
  const options = (plain as unknown as { options: Record<string, unknown> }).options;
  expect(options).toMatchObject({ host: '127.0.0.1', port: 2525, secure: false, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  const tls = (createTransport('smtps://mailer:p%40ss@smtp.example.com') as unknown as { options: Record<string, unknown> }).options;
  expect(tls).toMatchObject({ host: 'smtp.example.com', port: 465, secure: true, auth: { user: 'mailer', pass: 'p@ss' }, socketTimeout: 30_000 });
  expect(createTransport(undefined)).toBeNull();
});
