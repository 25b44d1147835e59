import nodemailer, { type Transporter } from 'nodemailer';

/** The SMTP transport for SMTP_URL, or null when none is configured. */
export function createTransport(smtpUrl: string | undefined): Transporter | null {
  return smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
}
