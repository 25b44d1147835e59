import nodemailer, { type Transporter } from 'nodemailer';

/**
 * The SMTP transport for SMTP_URL, or null when none is configured. Its timeouts end a hung
 * exchange well within the 60 s transaction that holds the outbox row while sending
 * (src/mail/service.ts): a send never outlives the lock that makes it once.
 */
export function createTransport(smtpUrl: string | undefined): Transporter | null {
  return smtpUrl ? nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }) : null;
}
