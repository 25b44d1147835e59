import type { Request, RequestHandler } from 'express';
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { clearSessionCookies, setSessionCookies } from '../api/auth';
import { csrfTokenFor } from './credentials';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { AccountService } from './service';
import type { StartMailDelivery } from '../mail/delivery';
import { apiTokenView, toPublicUser } from './views';
import {
  ChangePasswordBody,
  ConsentsBody,
  CookiePreferencesBody,
  CreatedToken,
  CreateTokenBody,
  LoginBody,
  ReauthBody,
  ReauthCodeSent,
  SignupBody,
  TokenSummary,
  UpdateMeBody,
  User,
  UserEnvelope,
} from './schemas';

export function registerAccountRoutes(
  route: RouteRegistrar,
  accounts: AccountService,
  options: {
    sessionTtlMs: number;
    signupLimiter: RequestHandler;
    loginLimiter: RequestHandler;
    reauthLimiter: RequestHandler;
    passwordChangeLimiter: RequestHandler;
    reauthCodeLimiter: RequestHandler;
    /** Sends a committed outbox row now (a workflow per mail); the schedule is the safety net. */
    deliverMail: StartMailDelivery;
    emailChangeLimiter: RequestHandler;
  },
) {
  const secure = (req: Request) => req.secure;
  // Where a log-in comes from (the client IP honours TRUST_PROXY): only its coarse class is kept, as a keyed hash.
  const loginClient = (req: Request) => ({ ip: req.ip, userAgent: req.header('user-agent') });

  route({
    method: 'post',
    path: '/v1/auth/signup',
    operationId: 'signUp',
    summary: 'Create an account and start a session',
    tags: ['accounts'],
    access: 'public',
    body: SignupBody,
    responses: { 201: { schema: UserEnvelope, description: 'Signed up and signed in', headers: { 'Set-Cookie': { description: 'the session cookie `sid` (HttpOnly) and the readable `csrf_token` cookie', schema: { type: 'string' } } } } },
    rateLimit: options.signupLimiter,
    errors: ['email_taken'],
    handler: async ({ req, res, body }) => {
      const { user, sessionToken } = await accounts.signup(body, loginClient(req));
      setSessionCookies(res, sessionToken, options.sessionTtlMs, secure(req));
      return { status: 201, body: { user: toPublicUser(user), csrfToken: csrfTokenFor(sessionToken) } };
    },
  });

  route({
    method: 'post',
    path: '/v1/auth/login',
    operationId: 'logIn',
    summary: 'Log in with email and password',
    tags: ['accounts'],
    access: 'public',
    body: LoginBody,
    responses: { 200: { schema: UserEnvelope, description: 'Signed in', headers: { 'Set-Cookie': { description: 'the session cookie `sid` (HttpOnly) and the readable `csrf_token` cookie', schema: { type: 'string' } } } } },
    rateLimit: options.loginLimiter,
    errors: ['invalid_credentials'],
    handler: async ({ req, res, body }) => {
      const { user, sessionToken } = await accounts.login(body.email, body.password, loginClient(req));
      setSessionCookies(res, sessionToken, options.sessionTtlMs, secure(req));
      return { status: 200, body: { user: toPublicUser(user), csrfToken: csrfTokenFor(sessionToken) } };
    },
  });

  route({
    method: 'post',
    path: '/v1/auth/logout',
    operationId: 'logOut',
    summary: 'End the current session (revoked server-side) and clear its cookies',
    tags: ['accounts'],
    access: 'optional',
    responses: {
      204: { schema: null, description: 'Signed out', headers: { 'Set-Cookie': { description: 'clears `sid` and `csrf_token`', schema: { type: 'string' } } } },
    },
    handler: async ({ req, res, principal }) => {
      if (principal?.sessionId) await accounts.logout(principal.sessionId);
      clearSessionCookies(res, secure(req));
      return { status: 204 };
    },
  });

  route({
    method: 'post',
    path: '/v1/auth/reauth',
    operationId: 'reauthenticate',
    summary: 'Prove it is you again (password or mailed code): exporting or erasing the account needs this within 10 minutes',
    description:
      'Send exactly one of `password` or `code` (the 6 digits mailed by `POST /v1/auth/reauth/code`). ' +
      'Marks the calling session or API token as freshly proven for REAUTH_TTL (10 minutes by default). ' +
      'A code works once, for 10 minutes (REAUTH_CODE_TTL); a wrong one answers `reauth_code_invalid` with `details.attemptsLeft`, ' +
      'and the 5th wrong try voids it; an expired, used or voided code answers `reauth_code_expired`. Nothing is proven by a refused attempt. ' +
      '`POST /v1/privacy/exports` and `POST /v1/privacy/erasure` need it, so a stolen session cookie or token alone can neither take the data nor destroy the account.',
    tags: ['accounts'],
    access: 'user',
    body: ReauthBody,
    responses: { 204: null },
    rateLimit: options.reauthLimiter,
    errors: ['invalid_credentials', 'reauth_code_invalid', 'reauth_code_expired'],
    handler: async ({ principal, body }) => {
      await accounts.reauthenticate(principal, body);
      return { status: 204 };
    },
  });

  route({
    method: 'post',
    path: '/v1/auth/reauth/code',
    operationId: 'requestReauthCode',
    summary: 'Mail a 6-digit code to your address that proves it is you (POST /v1/auth/reauth {code})',
    description:
      'Mails a new code to the account\'s address at once; it works once, for 10 minutes (REAUTH_CODE_TTL), and replaces any earlier code. ' +
      'For a user who signed in without a password at hand (or prefers not to type it).',
    tags: ['accounts'],
    access: 'user',
    responses: { 202: { schema: ReauthCodeSent, description: 'The code is on its way to the account\'s address' } },
    rateLimit: options.reauthCodeLimiter,
    handler: async ({ principal }) => {
      const { outboxId, expiresAt } = await accounts.requestReauthCode(principal.userId);
      await options.deliverMail(outboxId); // after the commit: the row is there for the worker to read
      return { status: 202, body: { expiresAt } };
    },
  });

  route({
    method: 'post',
    path: '/v1/auth/tokens',
    operationId: 'createApiToken',
    summary: 'Create a personal API token (shown once)',
    tags: ['accounts'],
    access: 'user',
    body: CreateTokenBody,
    responses: { 201: { schema: CreatedToken, links: { revokeApiToken: { id: '$response.body#/id' } } } },
    handler: async ({ principal, body }) => ({ status: 201, body: await accounts.createApiToken(principal.userId, body.name) }),
  });

  route({
    method: 'get',
    path: '/v1/auth/tokens',
    operationId: 'listApiTokens',
    summary: 'List your active API tokens (never the token itself)',
    tags: ['accounts'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(TokenSummary) },
    handler: async ({ principal, query }) => {
      return { status: 200, body: await readPage(query, (after, limit) => accounts.listApiTokens(principal.userId, after, limit), apiTokenView) };
    },
  });

  route({
    method: 'delete',
    path: '/v1/auth/tokens/:id',
    operationId: 'revokeApiToken',
    summary: 'Revoke one of your API tokens',
    tags: ['accounts'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: ['not_found'],
    handler: async ({ principal, params }) => {
      await accounts.revokeApiToken(principal.userId, params.id);
      return { status: 204 };
    },
  });

  route({
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'Your profile',
    tags: ['accounts'],
    access: 'user',
    responses: { 200: User },
    handler: async ({ principal }) => ({ status: 200, body: toPublicUser(await accounts.getUser(principal.userId)) }),
  });

  route({
    method: 'patch',
    path: '/v1/me',
    operationId: 'updateMe',
    summary: 'Correct your profile (rectification)',
    tags: ['accounts'],
    access: 'user',
    body: UpdateMeBody,
    responses: { 200: User },
    // Email changes are counted per user whatever the answer, so probing which addresses are taken is slow.
    rateLimit: options.emailChangeLimiter,
    errors: ['email_taken'],
    handler: async ({ principal, body }) => ({
      status: 200,
      body: toPublicUser(await accounts.updateProfile(principal.userId, body)),
    }),
  });

  route({
    method: 'put',
    path: '/v1/me/password',
    operationId: 'changePassword',
    summary: 'Change your password; every other session is signed out and an alert is mailed',
    description:
      'Needs the current password (401 `invalid_credentials` when it is wrong: nothing changes). The new one is 10 to 200 characters. ' +
      'On success every other session of the account is signed out (the calling one stays signed in), and a "password changed" alert ' +
      'is mailed to the account\'s address. Personal API tokens keep working: list and revoke them with `/v1/auth/tokens`.',
    tags: ['accounts'],
    access: 'user',
    body: ChangePasswordBody,
    responses: { 204: null },
    // Per user, as for reauth: a stolen session guessing the current password is bounded whatever its IP.
    rateLimit: options.passwordChangeLimiter,
    errors: ['invalid_credentials'],
    handler: async ({ principal, body }) => {
      await accounts.changePassword(principal, body.currentPassword, body.newPassword);
      return { status: 204 };
    },
  });

  route({
    method: 'put',
    path: '/v1/me/consents',
    operationId: 'setConsents',
    summary: 'Give or withdraw marketing consent',
    tags: ['accounts'],
    access: 'user',
    body: ConsentsBody,
    responses: { 200: ConsentsBody },
    handler: async ({ principal, body }) => {
      const user = await accounts.setMarketingConsent(principal.userId, body.marketing);
      return { status: 200, body: { marketing: user.marketingConsent } };
    },
  });

  route({
    method: 'put',
    path: '/v1/me/cookie-preferences',
    operationId: 'setCookiePreferences',
    summary: 'Allow or refuse analytics cookies (only the essential session cookie is set by default)',
    tags: ['accounts'],
    access: 'user',
    body: CookiePreferencesBody,
    responses: { 200: CookiePreferencesBody },
    handler: async ({ principal, body }) => {
      const user = await accounts.setAnalyticsCookies(principal.userId, body.analytics);
      return { status: 200, body: { analytics: user.analyticsCookies } };
    },
  });
}
