// What an export holds, read from the register of personal data (src/privacy/register.ts):
// every registered table whose rows belong to a user, with each column's export rule
// (include, mask, exclude). A table added to the register is exported without editing
// this code; the JSON Schema of the file (./json-schema.ts) is made from the same plan.
import type { EncryptedColumn } from '../crypto/columns';
import { columnPolicy, personalTables, type PersonalTableName } from '../privacy/register';

/** The version of the file's format: a change a reader must know of raises it (docs/privacy-export.md). */
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportedColumn {
  /** The column in the database. */
  column: string;
  /** Its name in the file: an encrypted column without its `_ciphertext` suffix (decrypted). */
  name: string;
  encrypted?: EncryptedColumn;
  /** A masked column: its value (when not null) is replaced by this text. */
  maskedAs?: string;
}

export interface ExportedTable {
  table: PersonalTableName;
  category: string;
  holds: string;
  columns: ExportedColumn[];
  /** Columns left out, and why (shown in the file). */
  excluded: Record<string, string>;
  /** Masked columns, and why. */
  masked: Record<string, string>;
}

export interface ExportPlan {
  tables: ExportedTable[];
  /** Registered tables not in the export, and why. */
  notIncluded: Record<string, string>;
}

const nameInFile = (column: string, encrypted: boolean, taken: Set<string>) => {
  const stripped = encrypted ? column.replace(/_ciphertext$/, '') : column;
  return stripped && !taken.has(stripped) ? stripped : column;
};

export function exportPlan(): ExportPlan {
  const tables: ExportedTable[] = [];
  const notIncluded: Record<string, string> = {};
  for (const [table, entry] of personalTables()) {
    if ('none' in entry.owner) {
      notIncluded[table] = `not attributable to a user: ${entry.owner.none}`;
      continue;
    }
    const excluded: Record<string, string> = {};
    const masked: Record<string, string> = {};
    const kept: { column: string; encrypted?: EncryptedColumn; maskedAs?: string }[] = [];
    for (const column of Object.keys(entry.columns)) {
      const policy = columnPolicy(table, column);
      if (policy.export.action === 'exclude') excluded[column] = policy.export.why;
      else if (policy.export.action === 'mask') {
        masked[column] = policy.export.why;
        kept.push({ column, maskedAs: policy.export.as });
      } else kept.push({ column, ...(policy.encrypted ? { encrypted: policy.encrypted } : {}) });
    }
    if (kept.length === 0) {
      notIncluded[table] = entry.export.action === 'exclude' ? entry.export.why : 'every column is excluded from the export';
      continue;
    }
    // Names of plain columns first, so a decrypted column never takes the name of one in the file.
    const taken = new Set(kept.filter((c) => !c.encrypted).map((c) => c.column));
    const columns = kept.map((c): ExportedColumn => {
      const name = c.encrypted ? nameInFile(c.column, true, taken) : c.column;
      taken.add(name);
      return { ...c, name };
    });
    tables.push({ table, category: entry.category, holds: entry.holds, columns, excluded, masked });
  }
  return { tables, notIncluded };
}
