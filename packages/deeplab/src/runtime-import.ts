/**
 * `import(specifier)` resolved at run time only, from this package's own
 * location: its dependencies (`@napi-rs/image`) and optional peers (`bullmq`,
 * `ioredis`) resolve from here, not from `@seg/core`'s copy of this helper. A
 * specifier held in a variable is left alone by bundlers, so browser builds
 * never pull in Node built-ins or native modules.
 *
 * @internal
 */
export function importAtRuntime(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}
