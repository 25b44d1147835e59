// README.md's privacy section from the register of personal data:
//   npm run docs:privacy              rewrites the block between its markers
//   npm run docs:privacy -- --check   exits 1 when the block is out of date
import fs from 'node:fs';
import path from 'node:path';
import { renderPrivacyBlock, withPrivacyBlock } from './lib/privacy-docs';

const readmePath = path.resolve(__dirname, '..', 'README.md');
const current = fs.readFileSync(readmePath, 'utf8');
const updated = withPrivacyBlock(current, renderPrivacyBlock());
if (updated === current) {
  console.log('README.md: the privacy section is up to date');
} else if (process.argv.includes('--check')) {
  console.error('README.md: the privacy section is out of date with src/privacy/register.ts (run npm run docs:privacy)');
  process.exit(1);
} else {
  fs.writeFileSync(readmePath, updated);
  console.log('README.md: privacy section written');
}
