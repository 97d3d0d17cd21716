import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM + CJS with `.d.ts`/`.d.cts`,
 * compiled with the package's `tsconfig.build.json`.
 */
export function packageConfig(entry: string[]): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    // tsconfig.json is a composite project for `tsc -b` that maps @seg/core to its source;
    // with that mapping tsup would bundle a copy of core instead of importing the package.
    tsconfig: 'tsconfig.build.json',
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'neutral',
    // Dependencies and peers stay external: one tfjs instance per process.
    skipNodeModulesBundle: true,
    // Shared modules go to chunks in CJS too (esbuild splits ESM only): without it each CJS entry
    // (`@seg/deeplab` and `@seg/deeplab/node`) would carry its own copy of the classes both use.
    splitting: true,
    // CJS chunks are converted from ESM after esbuild, which would leave `import.meta` (a syntax error
    // in CommonJS) where an unsplit build makes it `{}`; code that reads it checks for a string first.
    esbuildOptions(options, context) {
      if (context.format === 'cjs') options.define = { ...options.define, 'import.meta.url': 'undefined' };
    },
  };
}
