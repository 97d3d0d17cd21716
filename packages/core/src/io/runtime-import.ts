/**
 * `import(specifier)` resolved at run time only. A specifier held in a
 * variable is left alone by bundlers (esbuild, webpack, Vite), which would
 * otherwise fail on Node built-ins in browser builds or try to bundle
 * optional peers such as tfjs-node.
 *
 * @internal
 */
export function importAtRuntime(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}
