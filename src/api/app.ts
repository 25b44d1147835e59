// The Express application: middleware order matters and is all here.
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { ApiDeps } from './deps';
import { requestLifecycle } from './request-lifecycle';
import { authenticate } from './auth';
import { errorHandler } from './errors';
import { DomainError } from '../errors';
import { createRegistry } from './openapi';
import { routeRegistrar } from './router';
import { rateLimiters } from './rate-limit';
import { codecCors, registerDocs, registerServiceRoutes } from './service-routes';
import { httpMetrics, retentionMetrics, securityDataCleanupMetrics } from '../metrics';
import { createAccountService } from '../accounts/service';
import { parseEmailIndexKey } from '../accounts/email-index';
import { createPrivacyRequests } from '../privacy/requests';
import { createErasureService } from '../erasure/service';
import { registerErasureRoutes } from '../erasure/routes';
import { createProfiles } from '../accounts/profile';
import { registerDpoCompletionRoute, registerPrivacyRequestRoutes } from '../privacy/routes';
import { createConsentService } from '../consent/service';
import { createUnsubscribe } from '../consent/unsubscribe';
import { unsubscribeKey, UNSUBSCRIBE_PATH } from '../consent/unsubscribe-token';
import { registerConsentRoutes } from '../consent/routes';
import { createDataKeys } from '../crypto/data-keys';
import { createMailService } from '../mail/service';
import { registerIncidentRoutes } from '../incidents/routes';
import { registerSupportRoutes } from '../support/routes';
import { createSupportService } from '../support/service';
import { registerAnalyticsRoutes } from '../analytics/routes';
import { createAnalyticsService } from '../analytics/service';
import { registerInputSampleRoutes } from '../input-samples/routes';
import { createInputSampleService } from '../input-samples/service';
import { createIncidentControl } from '../incidents/control';
import { incidentSettings } from '../incidents/service';
import { mailDelivery } from '../mail/delivery';
import { registerAccountRoutes } from '../accounts/routes';
import { createToolService } from '../tools/service';
import { registerToolRoutes } from '../tools/routes';
import { createLedger } from '../credits/ledger';
import { createCreditsService } from '../credits/service';
import { createStripe } from '../credits/stripe';
import { createAdjustmentService } from '../credits/adjustments';
import { registerCreditRoutes } from '../credits/routes';
import { createProviderKeyService } from '../provider-keys/service';
import { registerProviderKeyRoutes } from '../provider-keys/routes';
import { createExecutionService } from '../executions/service';
import { createExportService } from '../data-export/service';
import { registerExportRoutes } from '../data-export/routes';
import { registerExecutionRoutes } from '../executions/routes';

const CODEC_BODY_LIMIT = '8mb'; // Temporal payloads may be up to a few MB

export function createApp(deps: ApiDeps): Express {
  const { config, logger, prisma } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY ? 1 : false);
  app.set('query parser', 'simple');
  // No ETag: the API's answers are per-caller JSON no client revalidates (API.md names no ETag or
  // If-None-Match), and hashing every body cost CPU on every read (docs/BENCHMARKS.md, "API reads").
  app.set('etag', false);

  // Request id, access log and HTTP metrics.
  app.use(requestLifecycle(logger, httpMetrics(deps.metricsRegistry)));
  app.use(helmet());
  retentionMetrics(deps.metricsRegistry, prisma);
  securityDataCleanupMetrics(deps.metricsRegistry, prisma);
  app.use('/codec', codecCors(config.TEMPORAL_UI_ORIGIN), express.json({ limit: CODEC_BODY_LIMIT }));
  // Stripe signs the exact bytes it sends: keep them raw for verification.
  app.use('/v1/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }));
  // RFC 8058 one-click unsubscribe posts a form (List-Unsubscribe=One-Click): the one non-JSON body.
  app.use('/v1/unsubscribe', express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 }));
  app.use(express.json({ limit: config.BODY_LIMIT }));
  app.use(
    authenticate(prisma, {
      reauthTtlMs: config.REAUTH_TTL,
      credentials: deps.credentials,
      // The Temporal Web UI calls the codec cross-origin with the operator's cookie and cannot send
      // a CSRF header; a browser-set Origin equal to the configured UI origin is the CSRF defence there.
      // The unsubscribe link acts on its signed token alone, never on the caller's session: a
      // session cookie the browser happens to send grants nothing there, so needs no CSRF header.
      csrfExempt: (req) =>
        (req.path.startsWith('/codec/') && config.TEMPORAL_UI_ORIGIN !== undefined && req.headers.origin === config.TEMPORAL_UI_ORIGIN) ||
        req.path === UNSUBSCRIBE_PATH,
    }),
  );

  const registry = createRegistry();
  const route = routeRegistrar(registry);

  registerServiceRoutes(route, deps);
  const limits = rateLimiters(prisma, config.RATE_LIMIT_KEY_SECRET);
  const sessionTtlMs = config.SESSION_TTL;
  const dataKeys = createDataKeys(prisma, deps.keyring, config);
  const emailIndexKey = parseEmailIndexKey(config.EMAIL_INDEX_KEY);
  registerAccountRoutes(route, createAccountService(prisma, dataKeys, createMailService({ prisma, dataKeys, transport: null, from: config.MAIL_FROM }), { passwordCostLog2: config.PASSWORD_COST_LOG2, sessionTtlMs, reauthTtlMs: config.REAUTH_TTL, reauthCodeTtlMs: config.REAUTH_CODE_TTL, emailIndexKey, hmacSecret: config.RATE_LIMIT_KEY_SECRET }), {
    sessionTtlMs,
    signupLimiter: limits.perIp('signup', config.AUTH_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
    loginLimiter: limits.perIp('login', config.AUTH_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
    // Per user: a stolen session guessing the password is bounded whatever its IP.
    reauthLimiter: limits.perUser('reauth', config.AUTH_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
    passwordChangeLimiter: limits.perUser('password-change', config.AUTH_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
    reauthCodeLimiter: limits.perUser('reauth-code', config.REAUTH_CODE_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
    deliverMail: mailDelivery(deps.temporal, config.TEMPORAL_TASK_QUEUE, logger),
    emailChangeLimiter: limits.perUser(
      'email-change',
      config.EMAIL_CHANGE_RATE_LIMIT_MAX,
      config.EMAIL_CHANGE_RATE_LIMIT_WINDOW,
      (req) => typeof (req.body as { email?: unknown } | undefined)?.email !== 'string',
    ),
  });
  const tools = createToolService(prisma, dataKeys, config);
  const providerKeys = createProviderKeyService(prisma, dataKeys);
  registerToolRoutes(route, tools, deps.toolList);
  registerProviderKeyRoutes(route, providerKeys);
  registerExecutionRoutes(
    route,
    createExecutionService({ config, prisma, dataKeys, temporal: deps.temporal, tools }),
    dataKeys,
    limits.perUser('executions', config.EXECUTION_RATE_LIMIT_MAX, config.EXECUTION_RATE_LIMIT_WINDOW),
  );
  const ledger = createLedger(prisma, { reservationTtlMs: config.RESERVATION_TTL });
  registerCreditRoutes(
    route,
    createCreditsService({ config, prisma, ledger, temporal: deps.temporal, stripe: createStripe(config), logger }),
    createAdjustmentService(prisma, ledger),
  );

  const profiles = createProfiles(prisma, dataKeys, emailIndexKey);
  const privacyRequests = createPrivacyRequests(prisma, { deadlineMs: config.PRIVACY_REQUEST_DEADLINE });
  const erasure = createErasureService({
    prisma,
    dataKeys,
    profiles,
    requests: privacyRequests,
    temporal: deps.temporal,
    settings: { graceMs: config.ERASURE_GRACE, deadlineMs: config.ERASURE_DEADLINE, warningMs: config.ERASURE_WARNING, taskQueue: config.TEMPORAL_TASK_QUEUE },
  });
  registerErasureRoutes(route, erasure);
  registerConsentRoutes(
    route,
    createConsentService(prisma, privacyRequests),
    createUnsubscribe(prisma, unsubscribeKey(emailIndexKey)),
    limits.perIp('unsubscribe', config.AUTH_RATE_LIMIT_MAX, config.AUTH_RATE_LIMIT_WINDOW),
  );
  const dataExports = createExportService({ prisma, dataKeys, requests: privacyRequests, temporal: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
  registerExportRoutes(route, dataExports, logger);
  registerSupportRoutes(route, createSupportService(prisma), dataKeys);
  registerAnalyticsRoutes(route, createAnalyticsService(prisma, { minGroup: config.ANALYTICS_MIN_GROUP }));
  registerInputSampleRoutes(route, createInputSampleService(prisma, dataKeys, profiles));
  registerIncidentRoutes(
    route,
    createIncidentControl({ prisma, temporal: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, settings: incidentSettings(config) }),
  );
  registerPrivacyRequestRoutes(route, {
    requests: privacyRequests,
    userExists: profiles.exists,
    starters: { erasure: async (userId, options) => erasure.request(userId, options), export: dataExports.startExport },
    decorate: async (view) => ({ ...view, ...(await dataExports.downloadLink(view)) }),
  });
  registerDpoCompletionRoute(route, privacyRequests);

  app.use(route.finish());
  const docs = express.Router();
  registerDocs(docs, registry);
  app.use(docs);
  app.use((req, _res, next) => next(new DomainError('route_not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}
