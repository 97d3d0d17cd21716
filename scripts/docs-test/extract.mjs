// Turns the ts/js code blocks of a Markdown file into TypeScript modules: one
// to type-check (every block) and one to run (the blocks not marked no-run).
// Blocks of one file share a scope, as a reader assumes when a guide builds on
// its earlier blocks; their imports are hoisted and merged, so two blocks may
// both import `segment` without a duplicate-identifier error.
import ts from 'typescript';

/** Info-string languages that are checked; anything else (sh, json) is prose. */
export const CODE_LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
/** Info-string marker: type-check the block but never run it (needs data, a GPU, a DOM or a network). */
export const NO_RUN = 'no-run';
/** Info-string marker: the block is a program of its own, not sharing the file's scope (e.g. browser code next to Node code). */
export const STANDALONE = 'standalone';
const MARKERS = new Set([NO_RUN, STANDALONE]);

/**
 * The checked code blocks of a Markdown text, in order.
 * @returns `{ code, line, run, standalone }[]`, `line` being the 1-based Markdown line of the block's first code line.
 */
export function codeBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(fence)) end++;
    if (CODE_LANGUAGES.has(lang)) {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      const markers = rest.trim().split(/\s+/).filter(Boolean);
      const unknown = markers.filter((m) => !MARKERS.has(m));
      if (unknown.length) throw new Error(`line ${i + 1}: unknown code-block marker(s) ${unknown.join(', ')}; the markers are ${[...MARKERS].join(', ')}`);
      blocks.push({ code: body.join('\n'), line: i + 2, run: !markers.includes(NO_RUN), standalone: markers.includes(STANDALONE) });
    }
    i = end;
  }
  return blocks;
}

/** Splits a block into its top-level import declarations and the rest (kept line for line). */
function splitImports(code) {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = [];
  let body = code;
  for (const statement of [...source.statements].reverse()) {
    if (!ts.isImportDeclaration(statement)) continue;
    const start = statement.getStart(source);
    const text = code.slice(start, statement.end);
    imports.unshift(statement);
    // Keep the line count so diagnostics map back to the Markdown line.
    body = body.slice(0, start) + text.replace(/[^\n]/g, '') + body.slice(statement.end);
  }
  return { imports, body, source };
}

/** Merges import declarations: named imports per module, other forms once each. */
function mergeImports(declarations) {
  const named = new Map(); // module -> Set of specifier texts
  const other = new Set();
  for (const { statement, source } of declarations) {
    const from = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    if (clause && !clause.name && bindings && ts.isNamedImports(bindings)) {
      const set = named.get(from) ?? new Set();
      for (const el of bindings.elements) set.add((clause.isTypeOnly ? 'type ' : '') + el.getText(source));
      named.set(from, set);
    } else {
      other.add(statement.getText(source));
    }
  }
  return [...other, ...[...named].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`)];
}

/**
 * Assembles blocks into one module: every block's imports, and the bodies of the blocks `bodies` accepts
 * (imports come from every block, so a runnable block may use a name a no-run block imported).
 * @returns `{ text, lineOf }`: the module text and a function from a 1-based module line to the Markdown line (or null for generated lines).
 */
export function assembleModule(blocks, { bodies = () => true } = {}) {
  const parts = blocks.map((b) => ({ ...b, ...splitImports(b.code) }));
  const imports = mergeImports(parts.flatMap((p) => p.imports.map((statement) => ({ statement, source: p.source }))));
  const out = [...imports, 'export {};'];
  const map = out.map(() => null);
  for (const p of parts.filter(bodies)) {
    p.body.split('\n').forEach((line, k) => {
      out.push(line);
      map.push(p.line + k);
    });
  }
  return { text: `${out.join('\n')}\n`, lineOf: (line) => map[line - 1] ?? null };
}

/** The programs of a file: its shared-scope blocks together, then each standalone block alone. */
export function programs(blocks) {
  const shared = blocks.filter((b) => !b.standalone);
  return [...(shared.length ? [{ suffix: '', blocks: shared }] : []), ...blocks.filter((b) => b.standalone).map((b) => ({ suffix: `_L${b.line}`, blocks: [b] }))];
}
