// Plain-language mail, rendered from data the code chose (never from HTML a
// user supplied): a text part and an HTML part with every value escaped.

export type MailPurpose =
  | 'security_alert'
  | 'marketing'
  | 'reauth_code'
  | 'erasure_confirmation'
  | 'erasure_at_risk'
  | 'breach_notice'
  | 'breach_correction'
  | 'incident_escalation';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  /** Extra headers (marketing: RFC 8058 List-Unsubscribe and List-Unsubscribe-Post). */
  headers?: Record<string, string>;
}

export const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const SECURITY_ALERTS: Record<string, { subject: string; what: string }> = {
  new_login: { subject: 'New sign-in to your Sotally account', what: 'Someone signed in to your account from a device or network it had not signed in from before.' },
  password_changed: { subject: 'Your Sotally password was changed', what: 'The password of your account was changed.' },
  email_changed: { subject: 'Your Sotally email address was changed', what: 'The email address of your account was changed.' },
  api_token_created: { subject: 'A new API token was created', what: 'A personal API token was created for your account.' },
  provider_key_added: { subject: 'A model API key was added to your account', what: 'A model provider key (BYOM) was added to your account.' },
  provider_key_deleted: { subject: 'A model API key was deleted from your account', what: 'A model provider key (BYOM) was deleted from your account.' },
};

const page = (subject: string, lines: string[]): RenderedMail => ({
  subject,
  text: `${lines.join('\n\n')}\n\n— Sotally\n`,
  html: `<!doctype html><html><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}<p>— Sotally</p></body></html>`,
});

const day = (iso: string | undefined) => (iso ? new Date(iso).toUTCString() : 'unknown');

const RENDERERS: Record<MailPurpose, (data: Record<string, string>, secret?: string) => RenderedMail> = {
  security_alert: renderSecurityAlert,
  reauth_code: (data, secret) => reauthCodeMail(data, secret),
  marketing: renderMarketing,
  erasure_confirmation: (data) =>
    page('Your Sotally account has been deleted', [
      'Your account and the personal data it held have been deleted, as you asked.',
      `Request: ${data.requestId ?? ''}. Completed: ${day(data.completedAt)}.`,
      'What we deleted: your profile, your tools and their prompts, your runs with their inputs and outputs, your model API keys, sessions, tokens, consents and security events. The key that encrypted your data was destroyed first, so copies in backups can no longer be read.',
      'What we kept: the records of credit purchases and charges (amounts, dates, tools), which the law requires us to keep. They no longer name you: they carry a random reference instead.',
      'You will receive no more mail from us. This address is not kept.',
    ]),
  erasure_at_risk: (data) =>
    page('Erasure request at risk of missing its deadline', [
      `The erasure request ${data.requestId ?? ''} is still not finished: one of its steps keeps failing.`,
      `It must be completed by ${day(data.dueAt)}.`,
      'Look at the workflow in the Temporal Web UI (search for the request id) and at the worker logs, fix the cause, and the step will succeed on its next retry.',
    ]),
  breach_notice: renderBreachNotice,
  breach_correction: renderBreachCorrection,
  incident_escalation: renderIncidentEscalation,
};

/**
 * A breach notice (GDPR Art. 34: clear and plain language): what happened and when, which of the
 * user's data, what we did, what they can do, the credit-monitoring code when one is offered, and
 * whom to contact. A re-assessment that changes any of it sends the notice again, marked as an update.
 */
function renderBreachNotice(data: Record<string, string>): RenderedMail {
  const update = data.version !== undefined && data.version !== '1';
  const lines = [
    update ? `This updates the notice we sent you about "${data.title ?? ''}": what follows replaces it.` : `We are writing to tell you about a security incident that affects your Sotally account: ${data.title ?? ''}.`,
    `What happened: ${data.description ?? ''}`,
    `When: we discovered it on ${day(data.discoveredAt)}.`,
    `Which of your data: ${data.dataCategories ?? ''}.`,
    `What we did: ${data.measuresTaken ?? ''}`,
    data.likelyConsequences ? `What it may mean for you: ${data.likelyConsequences}` : '',
    `What you can do: ${data.userActions ?? ''}`,
    data.offerCode
      ? `Because personal data was exposed, we offer you credit monitoring at no cost. Your enrolment code: ${data.offerCode}. Enter it at the monitoring service's sign-up page; it is yours alone.`
      : '',
    `Questions: write to our data protection team at ${data.contact ?? ''} and quote reference ${data.incidentId ?? ''}.`,
  ].filter(Boolean);
  return page(update ? `Update: security incident affecting your Sotally account` : 'Security incident affecting your Sotally account', lines);
}

/** A correction to someone notified who turned out not to be affected (or an incident retracted). */
function renderBreachCorrection(data: Record<string, string>): RenderedMail {
  const lines = [
    `We wrote to you about a security incident, "${data.title ?? ''}".`,
    data.retracted === 'true'
      ? `After further investigation we have found that it was not a breach of your data: ${data.reason ?? ''}`
      : 'After further investigation we have found that your account was not among those affected.',
    'You do not need to do anything.',
    data.offerClosed === 'true' ? 'The credit-monitoring offer in that notice no longer applies and has been withdrawn.' : '',
    `Questions: write to our data protection team at ${data.contact ?? ''} and quote reference ${data.incidentId ?? ''}.`,
  ].filter(Boolean);
  return page('Correction: the security incident we wrote to you about', lines);
}

/** To incident responders and the DPO: what of an incident is not done, and how long is left. */
function renderIncidentEscalation(data: Record<string, string>): RenderedMail {
  return page(`Incident ${data.label ?? ''} after discovery: steps not done`, [
    `Incident ${data.incidentId ?? ''} ("${data.title ?? ''}") was discovered ${data.label ?? ''} ago.`,
    `Not done yet: ${data.pending ?? ''}.`,
    `Users and the authority must be notified by ${day(data.notifyBy)}.`,
    `Status: npm run incident -- status ${data.incidentId ?? ''} (or GET /v1/incidents/${data.incidentId ?? ''}); see docs/INCIDENT_RUNBOOK.md.`,
  ]);
}

const NETWORKS: Record<string, string> = {
  IPv4: 'an IPv4 network (an address block of 256 addresses)',
  IPv6: 'an IPv6 network (a /48 site prefix)',
};

/** Where a new sign-in came from, approximately: the device family and the kind of network, never the address. */
function newLoginLines(data: Record<string, string>): string[] {
  return [
    data.device ? `Device: ${data.device} (the browser and operating system it reported; versions are not kept).` : '',
    `Network: ${NETWORKS[data.network ?? ''] ?? 'a network we could not determine'} that this account had not signed in from with this device. We do not keep your IP address.`,
  ];
}

/** The mail for a purpose and its data (data comes from our own records). */
export function renderMail(purpose: MailPurpose, data: Record<string, string>, secret?: string): RenderedMail {
  const render = RENDERERS[purpose];
  if (!render) throw new Error(`no template for mail purpose ${purpose}`);
  return render(data, secret);
}

/**
 * Marketing: the operator's subject and plain-text body (paragraphs split at blank lines,
 * every character escaped in the HTML part: no markup passes), the reason the reader gets
 * it, and the signed one-click unsubscribe link, also in the RFC 8058 headers.
 */
function renderMarketing(data: Record<string, string>): RenderedMail {
  const url = data.unsubscribeUrl ?? '';
  const paragraphs = (data.body ?? '').split(/\r?\n\s*\r?\n/).map((p) => p.trim()).filter(Boolean);
  const why = 'You receive this because you agreed to news from Sotally. You can withdraw at any time in your account settings.';
  const html =
    '<!doctype html><html><body>' +
    paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, '<br>')}</p>`).join('') +
    `<hr><p>${escapeHtml(why)}</p><p><a href="${escapeHtml(url)}">Unsubscribe</a> with one click.</p><p>— Sotally</p></body></html>`;
  return {
    subject: (data.subject ?? '').replace(/[\r\n]+/g, ' '),
    text: `${paragraphs.join('\n\n')}\n\n--\n${why}\nUnsubscribe with one click: ${url}\n\n— Sotally\n`,
    html,
    headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

/** The code that proves the account again (`secret`), and until when it works. */
function reauthCodeMail(data: Record<string, string>, secret: string | undefined): RenderedMail {
  if (!secret) throw new Error('a re-authentication code mail without its code');
  const until = data.expiresAt ? new Date(data.expiresAt).toUTCString() : '';
  const lines = [
    `Your Sotally confirmation code is ${secret}`,
    `Enter it where you were asked to confirm it is you${until ? `, before ${until}` : ''} (10 minutes after you asked). It works once.`,
    'It lets whoever holds it export your data or delete your account from a signed-in session: never give it to anyone. Sotally never asks for it by phone or chat.',
    'If you did not ask for a code, someone may be signed in to your account: change your password now (that signs out every other session).',
  ];
  return page('Your Sotally confirmation code', lines);
}

function renderSecurityAlert(data: Record<string, string>): RenderedMail {
  const alert = SECURITY_ALERTS[data.type ?? ''] ?? { subject: 'Security notice for your Sotally account', what: 'Something changed in your account.' };
  const when = data.at ? new Date(data.at).toUTCString() : '';
  const lines = [
    alert.what,
    when ? `When: ${when}` : '',
    ...(data.type === 'new_login' ? newLoginLines(data) : []),
    'If this was you, there is nothing to do.',
    'If it was not, change your password now (that signs out every other session) and delete any API token or key you do not recognise.',
  ].filter(Boolean);
  return page(alert.subject, lines);
}
