import nodemailer, { type Transporter } from 'nodemailer';

/**
 * The SMTP transport for SMTP_URL, or null when none is configured. Its timeouts end a hung
 * exchange well within the 60 s transaction that holds the outbox row while sending
 * (src/mail/service.ts): a send never outlives the lock that makes it once.
 * The URL is taken apart here: nodemailer, given `url`, ignores every other option (the
 * timeouts would silently be its defaults of minutes).
 */
export function createTransport(smtpUrl: string | undefined): Transporter | null {
  if (!smtpUrl) return null;
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}
