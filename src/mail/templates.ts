// Plain-language mail, rendered from data the code chose (never from HTML a
// user supplied): a text part and an HTML part with every value escaped.

export type MailPurpose = 'security_alert';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const SECURITY_ALERTS: Record<string, { subject: string; what: string }> = {
  new_login: { subject: 'New sign-in to your Sotally account', what: 'Someone signed in to your account.' },
  password_changed: { subject: 'Your Sotally password was changed', what: 'The password of your account was changed.' },
  email_changed: { subject: 'Your Sotally email address was changed', what: 'The email address of your account was changed.' },
  api_token_created: { subject: 'A new API token was created', what: 'A personal API token was created for your account.' },
  provider_key_added: { subject: 'A model API key was added to your account', what: 'A model provider key (BYOM) was added to your account.' },
  provider_key_deleted: { subject: 'A model API key was deleted from your account', what: 'A model provider key (BYOM) was deleted from your account.' },
};

/** The mail for a purpose and its data (data comes from our own records). */
export function renderMail(_purpose: MailPurpose, data: Record<string, string>): RenderedMail {
  const alert = SECURITY_ALERTS[data.type ?? ''] ?? { subject: 'Security notice for your Sotally account', what: 'Something changed in your account.' };
  const when = data.at ? new Date(data.at).toUTCString() : '';
  const lines = [
    alert.what,
    when ? `When: ${when}` : '',
    'If this was you, there is nothing to do.',
    'If it was not, change your password now and delete any API token or key you do not recognise.',
  ].filter(Boolean);
  return {
    subject: alert.subject,
    text: `${lines.join('\n\n')}\n\n— Sotally\n`,
    html: `<!doctype html><html><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}<p>— Sotally</p></body></html>`,
  };
}
