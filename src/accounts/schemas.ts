import { z, text, timestamp, email as emailField } from '../zod';
import { PrivacyChoices } from '../consent/schemas';

const email = emailField();
const name = text({ min: 1, max: 100, trim: true });
const HTTPS_URL = '^https://[^\\s\\x00/?#]+([/?#][^\\s\\x00]*)?$';
const avatarUrl = z
  .string()
  .max(2048)
  .url()
  .regex(new RegExp(HTTPS_URL, 'u'), 'avatarUrl must be an https:// URL')
  .openapi({ format: 'uri', pattern: HTTPS_URL });

/** A new password: 10 to 200 characters (sign-up and password change). */
const newPassword = text({ min: 10, max: 200 });

export const SignupBody = z
  .object({
    name,
    email,
    password: newPassword,
    avatarUrl: avatarUrl.optional(),
    marketingConsent: z.boolean().optional(),
  })
  .strict()
  .openapi('SignupRequest', { example: { name: 'Ada Lovelace', email: 'ada@example.com', password: 'correct horse battery staple' } });

/** The proof: the password, or the 6-digit code mailed by POST /v1/auth/reauth/code (exactly one of them). */
export const ReauthBody = z
  .union([
    z.object({ password: text({ min: 1, max: 200 }) }).strict(),
    z.object({ code: z.string().regex(/^[0-9]{6}$/, 'the 6 digits of the mailed code').openapi({ example: '042917' }) }).strict(),
  ])
  .openapi('ReauthRequest', { example: { password: 'correct horse battery staple' } });

export const ReauthCodeSent = z
  .object({ expiresAt: timestamp().openapi({ description: 'the code works until then, once' }) })
  .openapi('ReauthCodeSent');

export const ChangePasswordBody = z
  .object({ currentPassword: text({ min: 1, max: 200 }), newPassword })
  .strict()
  .openapi('ChangePasswordRequest', { example: { currentPassword: 'correct horse battery staple', newPassword: 'a new and longer passphrase' } });

export const LoginBody = z.object({ email, password: text({ min: 1, max: 200 }) }).strict().openapi('LoginRequest', { example: { email: 'ada@example.com', password: 'correct horse battery staple' } });

export const UpdateMeBody = z
  .object({ name: name.optional(), email: email.optional(), avatarUrl: avatarUrl.nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .openapi('UpdateMeRequest', { minProperties: 1 });

export const User = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    email: z.string(),
    avatarUrl: z.string().nullable(),
    roles: z.array(z.string()),
    createdAt: timestamp(),
    consents: z.object({ marketing: z.boolean() }),
    cookiePreferences: z.object({ analytics: z.boolean() }).openapi({ description: 'analytics cookies are set by the front end only when `analytics` is true; the server sets only the essential `sid` and `csrf_token`' }),
    privacy: PrivacyChoices,
  })
  .openapi('User');

export const UserEnvelope = z.object({ user: User, csrfToken: z.string().optional() });

export const ConsentsBody = z.object({ marketing: z.boolean() }).strict().openapi('Consents');
export const CookiePreferencesBody = z.object({ analytics: z.boolean() }).strict().openapi('CookiePreferences');

export const CreateTokenBody = z.object({ name: text({ min: 1, max: 100, trim: true }) }).strict();
export const CreatedToken = z.object({ id: z.string().uuid(), name: z.string(), token: z.string(), createdAt: timestamp() });
export const TokenSummary = z
  .object({ id: z.string().uuid(), name: z.string(), createdAt: timestamp(), lastUsedAt: timestamp().nullable() })
  .openapi('ApiToken');
