// Restriction, objections and the unsubscribe link over HTTP.
import type { Request, RequestHandler, Response } from 'express';
import type { RouteRegistrar } from '../api/router';
import { HTTP_STATUS } from '../api/errors';
import { z } from '../zod';
import { DomainError } from '../errors';
import type { ConsentService } from './service';
import type { Unsubscribe } from './unsubscribe';
import { privacyChoicesView } from './views';
import { unsubscribePages } from './pages';
import { UNSUBSCRIBE_PATH } from './unsubscribe-token';
import { ObjectionsBody, OneClickBody, PrivacyChoicesChanged, RestrictionBody, Unsubscribed, UnsubscribeQuery } from './schemas';

const LINK_ERRORS = ['unsubscribe_link_invalid', 'unsubscribe_link_expired', 'unsubscribe_link_used'] as const;

/** A browser (the confirmation page's button) prefers HTML; a mail provider's one-click POST gets JSON. */
const wantsHtml = (req: Request) => req.accepts(['application/json', 'text/html']) === 'text/html';

function sendPage(res: Response, status: number, html: string) {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  return { status };
}

/** A refusal of the link as a page: its status and the catalog's words. */
function refusalPage(res: Response, err: unknown) {
  if (!(err instanceof DomainError) || !(LINK_ERRORS as readonly string[]).includes(err.code)) throw err;
  return sendPage(res, HTTP_STATUS[err.code], unsubscribePages.refused(err.message));
}

/** `unsubscribeLimiter`: per client IP, on the two unauthenticated unsubscribe routes (they check a signature and write). */
export function registerConsentRoutes(route: RouteRegistrar, consent: ConsentService, unsubscribe: Unsubscribe, unsubscribeLimiter: RequestHandler) {
  route({
    method: 'put',
    path: '/v1/privacy/restriction',
    operationId: 'setRestriction',
    summary: 'Restrict processing of your data (or lift the restriction)',
    description:
      'While restricted, your account is left out of analytics, creator input sharing and marketing, at once. Runs you start still run. ' +
      'Recorded as a privacy request of type `restriction`, completed at once, and in your consent history.',
    tags: ['privacy'],
    access: 'user',
    body: RestrictionBody,
    responses: { 200: PrivacyChoicesChanged },
    handler: async ({ principal, body }) => {
      const { user, requestId } = await consent.setRestriction(principal.userId, body.restricted);
      return { status: 200, body: { ...privacyChoicesView(user), requestId } };
    },
  });

  route({
    method: 'put',
    path: '/v1/privacy/objections',
    operationId: 'setObjections',
    summary: 'Object to processing for analytics, creator input sharing or marketing (true = you object)',
    description:
      'Takes effect at once; purposes left out stay as they are. Recorded as a privacy request of type `objection`, completed at once, and in your consent history.',
    tags: ['privacy'],
    access: 'user',
    body: ObjectionsBody,
    responses: { 200: PrivacyChoicesChanged },
    handler: async ({ principal, body }) => {
      const { user, requestId } = await consent.setObjections(principal.userId, body);
      return { status: 200, body: { ...privacyChoicesView(user), requestId } };
    },
  });

  route({
    method: 'get',
    path: UNSUBSCRIBE_PATH,
    operationId: 'showUnsubscribePage',
    summary: 'The page behind the unsubscribe link of a marketing mail: a button to confirm',
    description:
      'Changes nothing (mail scanners open links). A link altered or incomplete (`unsubscribe_link_invalid`) or expired (`unsubscribe_link_expired`) ' +
      'answers a 400 page; one already used a 409 page (`unsubscribe_link_used`).',
    tags: ['privacy'],
    access: 'public',
    htmlPages: true,
    query: UnsubscribeQuery,
    rateLimit: unsubscribeLimiter,
    responses: { 200: { schema: z.string(), contentType: 'text/html', description: 'the confirmation page' } },
    errors: [...LINK_ERRORS],
    handler: async ({ res, query }) => {
      try {
        await unsubscribe.check(query.token);
      } catch (err) {
        return refusalPage(res, err);
      }
      return sendPage(res, 200, unsubscribePages.confirm(query.token));
    },
  });

  route({
    method: 'post',
    path: UNSUBSCRIBE_PATH,
    operationId: 'unsubscribe',
    summary: 'One-click unsubscribe (RFC 8058): withdraws marketing consent',
    description:
      'Needs no sign-in and no cookie: the signed token is the proof. The body is `List-Unsubscribe=One-Click` as application/x-www-form-urlencoded, ' +
      'the one exception to JSON bodies. Answers JSON, or an HTML page to a browser (the confirmation page\'s button). ' +
      'Each link works once: a replay answers 409 `unsubscribe_link_used` and changes nothing; an altered or expired link 400, nothing changed.',
    tags: ['privacy'],
    access: 'public',
    htmlPages: true,
    query: UnsubscribeQuery,
    body: OneClickBody,
    bodyType: 'form',
    rateLimit: unsubscribeLimiter,
    responses: { 200: Unsubscribed },
    errors: [...LINK_ERRORS],
    handler: async ({ req, res, query }) => {
      const html = wantsHtml(req);
      let at: Date;
      try {
        ({ at } = await unsubscribe.unsubscribe(query.token));
      } catch (err) {
        if (html) return refusalPage(res, err);
        throw err;
      }
      if (html) return sendPage(res, 200, unsubscribePages.done());
      return { status: 200, body: { unsubscribed: true, purpose: 'marketing', at } };
    },
  });
}
