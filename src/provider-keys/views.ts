// What clients see of a provider key: its masked form, never the key.
import type { ProviderKey } from '@prisma/client';

export function toProviderKeyView(row: ProviderKey) {
  return { id: row.id, provider: row.provider, label: row.label, masked: row.masked, createdAt: row.createdAt };
}
