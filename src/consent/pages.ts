// The small HTML pages of the unsubscribe link: built from our own text, every
// value escaped; no script, no external resource (helmet's CSP applies).
import { escapeHtml } from '../mail/templates';

function page(title: string, paragraphs: string[], form?: { action: string; button: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('');
  const confirm = form
    ? `<form method="post" action="${escapeHtml(form.action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${escapeHtml(form.button)}</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}${confirm}<p>— Sotally</p></body></html>`;
}

export const unsubscribePages = {
  confirm: (token: string) =>
    page('Unsubscribe from Sotally marketing mail', ['Press the button to stop receiving marketing mail from Sotally. Mail about your account (such as security alerts) still reaches you.'], {
      action: `/v1/unsubscribe?token=${encodeURIComponent(token)}`,
      button: 'Unsubscribe',
    }),
  done: () =>
    page('You are unsubscribed', [
      'You will receive no more marketing mail from Sotally. You can give your consent again at any time in your account settings.',
    ]),
  refused: (message: string) => page('This link cannot be used', [message, 'You can always withdraw marketing consent in your account settings.']),
};
