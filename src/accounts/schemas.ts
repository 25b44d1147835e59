import { z } from '../zod';

const email = z.string().trim().toLowerCase().email().max(254);
const name = z.string().trim().min(1).max(100);
const avatarUrl = z
  .string()
  .url()
  .max(2048)
  .refine((u) => u.startsWith('https://'), 'avatarUrl must be an https:// URL');

export const SignupBody = z
  .object({
    name,
    email,
    password: z.string().min(10, 'use at least 10 characters').max(200),
    avatarUrl: avatarUrl.optional(),
    marketingConsent: z.boolean().optional(),
  })
  .strict()
  .openapi('SignupRequest');

export const LoginBody = z.object({ email, password: z.string().min(1).max(200) }).strict().openapi('LoginRequest');

export const UpdateMeBody = z
  .object({ name: name.optional(), email: email.optional(), avatarUrl: avatarUrl.nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .openapi('UpdateMeRequest');

export const User = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    email: z.string(),
    avatarUrl: z.string().nullable(),
    roles: z.array(z.string()),
    createdAt: z.date(),
    consents: z.object({ marketing: z.boolean() }),
    cookiePreferences: z.object({ analytics: z.boolean() }),
  })
  .openapi('User');

export const UserEnvelope = z.object({ user: User, csrfToken: z.string().optional() });

export const ConsentsBody = z.object({ marketing: z.boolean() }).strict().openapi('Consents');
export const CookiePreferencesBody = z.object({ analytics: z.boolean() }).strict().openapi('CookiePreferences');

export const CreateTokenBody = z.object({ name: z.string().trim().min(1).max(100) }).strict();
export const CreatedToken = z.object({ id: z.string().uuid(), name: z.string(), token: z.string(), createdAt: z.date() });
export const TokenSummary = z
  .object({ id: z.string().uuid(), name: z.string(), createdAt: z.date(), lastUsedAt: z.date().nullable() })
  .openapi('ApiToken');
