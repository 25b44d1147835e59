// README.md's privacy section is generated from the register of personal data
// (npm run docs:privacy): it must be what the generator writes today, and every
// file and test it names as keeping a promise must exist.
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_END, BLOCK_START, POLICY_SECTIONS, PROMISES, RIGHTS_MAP, renderPrivacyBlock, withPrivacyBlock } from '../../scripts/lib/privacy-docs';

const ROOT = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

it('the privacy section of README.md is up to date with the register (npm run docs:privacy)', () => {
  const block = readme.slice(readme.indexOf(BLOCK_START), readme.indexOf(BLOCK_END) + BLOCK_END.length);
  expect(block.startsWith(BLOCK_START)).toBe(true);
  expect(block).toBe(renderPrivacyBlock());
  expect(withPrivacyBlock(readme, renderPrivacyBlock())).toBe(readme);
});

it('every file and test named as keeping a promise or a right exists', () => {
  const missing: string[] = [];
  const entries = [
    ...PROMISES.map((p) => ({ ...p, name: p.promise })),
    ...RIGHTS_MAP.map((r) => ({ ...r, name: r.right })),
    ...POLICY_SECTIONS.map((s) => ({ ...s, name: s.section })),
  ];
  for (const p of entries) {
    for (const file of p.code) if (!fs.existsSync(path.join(ROOT, file))) missing.push(file);
    for (const { file, test } of p.tests) {
      const where = path.join(ROOT, file);
      if (!fs.existsSync(where)) missing.push(file);
      else if (!fs.readFileSync(where, 'utf8').includes(test)) missing.push(`${file}: "${test}"`);
    }
    if (!p.notYet && p.tests.length === 0) missing.push(`"${p.name}" is kept by no test (or say what is not kept yet)`);
  }
  expect(missing).toEqual([]);
});
