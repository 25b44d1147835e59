// Keyset pagination for lists ordered newest first: `?limit=&cursor=` in,
// `{items, nextCursor}` out. The cursor is opaque to clients (base64url of the
// last row's createdAt and id), so pages stay stable while rows are added.
import { z } from './zod';
import { DomainError } from './errors';

export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'opaque: the nextCursor of the previous page, as returned (anything else is 400 invalid_cursor)' }),
  })
  .strict();

export interface Cursor {
  createdAt: Date;
  id: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);
const cursorShape = z.tuple([z.string().regex(ISO_INSTANT), z.string().uuid()]);

/** Only a cursor of the shape toPage writes, with a date Postgres can compare, is accepted; anything else is a 400. */
export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new DomainError('invalid_cursor', 'the cursor is not one this API returned');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = cursorShape.safeParse(decoded);
  if (!parsed.success) throw invalid();
  const [createdAt, id] = parsed.data;
  const time = Date.parse(createdAt);
  if (!(time >= EARLIEST && time <= LATEST)) throw invalid();
  return { createdAt: new Date(time), id };
}

/** Prisma `where` fragment selecting rows strictly after the cursor in (createdAt desc, id desc) order. */
export function afterCursor(cursor: Cursor | undefined) {
  if (!cursor) return {};
  return {
    OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
  };
}

export const newestFirst = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** Given limit+1 rows, returns the page and the cursor of the next one. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > limit && last ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString('base64url') : null;
  return { items, nextCursor };
}

export function pageOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().openapi({ description: 'pass as ?cursor= for the next page; null on the last page' }) });
}

/**
 * Reads one page for a route: `fetch` receives the keyset condition to spread
 * into its `where` (or, for a statement written in SQL, the decoded cursor) and
 * the page size (it reads one row more, to know whether a next page exists);
 * each row is shown through `view`.
 */
export async function readPage<T extends { createdAt: Date; id: string }, V>(
  query: { cursor?: string; limit: number },
  fetch: (after: ReturnType<typeof afterCursor>, limit: number, cursor: Cursor | undefined) => Promise<T[]>,
  view: (row: T) => V | Promise<V>,
): Promise<{ items: V[]; nextCursor: string | null }> {
  const cursor = decodeCursor(query.cursor);
  const page = toPage(await fetch(afterCursor(cursor), query.limit, cursor), query.limit);
  return { items: await Promise.all(page.items.map(view)), nextCursor: page.nextCursor };
}
