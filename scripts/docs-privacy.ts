// README.md's privacy section, and the JSON Schema of the data export, from the register of personal data:
//   npm run docs:privacy              rewrites the README block between its markers and docs/privacy-export.schema.json
//   npm run docs:privacy -- --check   exits 1 when either is out of date
import fs from 'node:fs';
import path from 'node:path';
import { renderPrivacyBlock, withPrivacyBlock } from './lib/privacy-docs';
import { renderExportJsonSchema } from '../src/data-export/json-schema';

const check = process.argv.includes('--check');
let stale = false;

function update(file: string, what: string, make: (current: string) => string) {
  const full = path.resolve(__dirname, '..', file);
  const current = fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : '';
  const updated = make(current);
  if (updated === current) {
    console.log(`${file}: ${what} is up to date`);
  } else if (check) {
    console.error(`${file}: ${what} is out of date with src/privacy/register.ts (run npm run docs:privacy)`);
    stale = true;
  } else {
    fs.writeFileSync(full, updated);
    console.log(`${file}: ${what} written`);
  }
}

update('README.md', 'the privacy section', (current) => withPrivacyBlock(current, renderPrivacyBlock()));
update('docs/privacy-export.schema.json', 'the JSON Schema of the data export', () => renderExportJsonSchema());
if (stale) process.exit(1);
