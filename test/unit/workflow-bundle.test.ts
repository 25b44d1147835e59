// The determinism lint rules must reach every file the workflow bundle pulls
// in. This follows the value imports from the worker's workflow entry point
// (type-only imports are erased and never bundled) and asks ESLint which rules
// apply to each file it reaches. A contract module that a workflow starts to
// import without being listed in eslint.config.js fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'src', 'workflows', 'index.ts');

/** Local files reached from `file` through imports and re-exports that survive compilation. */
function bundledFiles(entry: string): string[] {
  const seen = new Set<string>();
  const compilerOptions: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      let specifier: ts.Expression | undefined;
      if (ts.isImportDeclaration(statement)) {
        const clause = statement.importClause;
        if (clause?.isTypeOnly) continue;
        const named = clause?.namedBindings;
        const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly);
        if (onlyTypes) continue;
        specifier = statement.moduleSpecifier;
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        specifier = statement.moduleSpecifier;
      }
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
      const resolved = ts.resolveModuleName(specifier.text, file, compilerOptions, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport) visit(resolved.resolvedFileName);
    }
  };
  visit(entry);
  return [...seen].map((f) => path.relative(ROOT, f)).sort();
}

test('every file in the workflow bundle is under the determinism lint rules', async () => {
  const files = bundledFiles(ENTRY);
  // The walk itself works: it reaches the features' workflows and their contracts.
  expect(files).toEqual(expect.arrayContaining(['src/executions/workflows.ts', 'src/executions/contract.ts', 'src/retention/workflows.ts']));
  expect(files).not.toContain('src/activities/index.ts'); // imported as a type only

  // The project's own config, passed in (jest cannot run ESLint's dynamic import of the file).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require(path.join(ROOT, 'eslint.config.js')) });
  const uncovered: string[] = [];
  for (const file of files) {
    const config = await eslint.calculateConfigForFile(path.join(ROOT, file));
    const globals = config.rules?.['no-restricted-globals'];
    const severity = Array.isArray(globals) ? globals[0] : globals;
    if (severity !== 2 && severity !== 'error') uncovered.push(file);
  }
  expect(uncovered).toEqual([]);
});

test('no workflow file carries a price table', () => {
  for (const file of bundledFiles(ENTRY)) expect(file).not.toMatch(/models|pricing/);
});
