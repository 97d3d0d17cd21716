#!/usr/bin/env node
// `pnpm test:docs`: every ts/js code block (or those of the files given as arguments) of docs/guides/*.md, the
// repository README and packages/*/README.md is type-checked against the built packages, resolved
// as a user's project resolves them (node_modules/@seg/* -> package.json
// exports -> dist/*.d.ts), and the blocks not marked `no-run` are run in Node.
// A self-test fixture calling a missing export must fail the type-check, so a
// checker that silently accepts everything fails too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { assembleModule, codeBlocks, programs } from './extract.mjs';

const root = resolve(import.meta.dirname, '../..');
const work = join(root, '.tmp/docs-test');
/** Seconds one Markdown file's runnable blocks may take together. */
const RUN_TIMEOUT_S = Number(process.env.SEG_DOCS_TIMEOUT ?? 90);
const SELF_TEST = join(import.meta.dirname, 'fixtures/missing-export.md');

const allMdFiles = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs/guides')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs/guides', f)),
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'README.md')).filter(existsSync),
];
// `node scripts/docs-test/run.mjs docs/guides/x.md …` checks and runs only those files (the self-test always runs).
const only = process.argv.slice(2).map((f) => resolve(f));
const unknown = only.filter((f) => !allMdFiles.includes(f));
if (unknown.length) {
  console.error(`test:docs: not a checked Markdown file: ${unknown.join(', ')}`);
  process.exit(1);
}
const mdFiles = only.length ? only : allMdFiles;
for (const pkg of ['core', 'datasets', 'msrc', 'deeplab']) {
  if (!existsSync(join(root, 'packages', pkg, 'dist/index.d.ts'))) {
    console.error(`test:docs: packages/${pkg}/dist is missing; run \`pnpm build\` first (\`pnpm test:docs\` does)`);
    process.exit(1);
  }
}

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'node_modules/@seg'), { recursive: true });
// The packages as an installed dependency: a link to the package folder, so
// its package.json `exports` (dist types and code) decide what resolves.
for (const pkg of ['core', 'datasets', 'msrc', 'deeplab']) symlinkSync(join(root, 'packages', pkg), join(work, 'node_modules/@seg', pkg), 'dir');

const modules = []; // { md, name, check, run, runnable }
for (const md of [...mdFiles, SELF_TEST]) {
  let blocks;
  try {
    blocks = codeBlocks(readFileSync(md, 'utf8'));
  } catch (e) {
    console.error(`FAIL ${relative(root, md)}: ${e.message}`);
    process.exit(1);
  }
  for (const program of programs(blocks)) {
    const name = relative(root, md).replace(/[/.]/g, '_') + program.suffix;
    const check = assembleModule(program.blocks);
    writeFileSync(join(work, `${name}.check.mts`), check.text);
    const runnable = program.blocks.some((b) => b.run);
    if (runnable) writeFileSync(join(work, `${name}.run.mts`), assembleModule(program.blocks, { bodies: (b) => b.run }).text);
    modules.push({ md, name, check, runnable, blocks: program.blocks.length });
  }
}
writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022', 'DOM'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    },
    include: ['*.check.mts'],
  }),
);

/** The end of a failed run's output, with minified library lines cut short. */
const tail = (text) =>
  text
    .split('\n')
    .filter((l) => l.length < 2000 && !/^\s*\^?\s*$/.test(l) && !/^Warning: /.test(l))
    .slice(-12)
    .map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l))
    .join('\n');

let failures = 0;
const fail = (what) => {
  failures++;
  console.log(`FAIL ${what}`);
};

const started = Date.now();
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', work, '--pretty', 'false'], { encoding: 'utf8' });
const diagnostics = new Map(); // module name -> messages
for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n')) {
  const m = /^([^(]+)\.check\.mts\((\d+),(\d+)\): (.*)$/.exec(line.trim());
  if (!m) {
    if (line.trim()) diagnostics.set('(tsc)', [...(diagnostics.get('(tsc)') ?? []), line.trim()]);
    continue;
  }
  const mod = modules.find((x) => x.name === basename(m[1]));
  const mdLine = mod?.check.lineOf(Number(m[2]));
  const where = mod ? `${relative(root, mod.md)}:${mdLine ?? '(imports)'}` : m[1];
  diagnostics.set(basename(m[1]), [...(diagnostics.get(basename(m[1])) ?? []), `${where}: ${m[4]}`]);
}
for (const message of diagnostics.get('(tsc)') ?? []) fail(`tsc: ${message}`);
for (const mod of modules) {
  const messages = diagnostics.get(mod.name) ?? [];
  const label = relative(root, mod.md);
  if (mod.md === SELF_TEST) {
    if (messages.some((m) => /has no exported member/.test(m))) console.log(`ok   self-test: a block importing a missing export fails the check`);
    else fail(`self-test: ${label} imports an export that does not exist, yet the check reported ${messages.length ? messages.join('; ') : 'nothing'}`);
    continue;
  }
  if (messages.length) for (const m of messages) fail(`type-check ${m}`);
  else console.log(`ok   type-check ${label} (${mod.blocks} block${mod.blocks > 1 ? 's' : ''})`);
}
console.log(`     type-checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);

for (const mod of modules) {
  if (!mod.runnable || mod.md === SELF_TEST) continue;
  const label = relative(root, mod.md);
  const t0 = Date.now();
  // Blocks run from a scratch folder: files they write stay out of the repository.
  const cwd = join(work, `${mod.name}.cwd`);
  mkdirSync(cwd, { recursive: true });
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(work, `${mod.name}.run.mts`)], {
    cwd,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_S * 1000,
    env: { ...process.env, NODE_PATH: '' },
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (run.status === 0) console.log(`ok   run ${label} (${seconds} s)`);
  else {
    const why = run.error?.code === 'ETIMEDOUT' || run.signal ? `timed out after ${RUN_TIMEOUT_S} s (mark slow blocks no-run or make them smaller)` : `exit ${run.status}`;
    fail(`run ${label}: ${why}\n${tail(run.stderr || run.stdout)}`);
  }
}

console.log(`test:docs: ${failures ? `${failures} failure(s)` : 'all code blocks check and run'} (${((Date.now() - started) / 1000).toFixed(0)} s; modules in ${relative(root, work)})`);
process.exit(failures ? 1 : 0);
