/**
 * The one way @seg/core imports what a bundle must not follow: Node's
 * built-ins and optional peers (tfjs-node, webgpu), loaded at run time only.
 * A specifier held in a variable is left alone by bundlers (esbuild, webpack,
 * Vite), which would otherwise fail on Node built-ins in browser builds or try
 * to bundle optional peers. {@link loadNodeFs} and {@link importPackage} are
 * the two questions callers ask of it: Node's file system with an error that
 * says a browser lacks it, and whether a package loads (and if not, why).
 *
 * @module
 */
/**
 * `import(specifier)` resolved at run time only (see the module comment).
 *
 * @internal
 */
export function importAtRuntime(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}

/** Node's `fs/promises` module. */
export type NodeFs = typeof import('node:fs/promises');
/** Node's `path` module. */
export type NodePath = typeof import('node:path');

/**
 * Node's `fs/promises` and `path`, loaded on first use so `@seg/core` bundles
 * for browsers, where only the file-system helpers are unavailable.
 *
 * @param what Who needs them, named in the error when they are missing.
 * @throws In runtimes without Node's modules (browsers), saying so.
 */
export async function loadNodeFs(what: string): Promise<{ fs: NodeFs; path: NodePath }> {
  try {
    const [fs, path] = await Promise.all([importAtRuntime('node:fs/promises'), importAtRuntime('node:path')]);
    return { fs: fs as NodeFs, path: path as NodePath };
  } catch (e) {
    throw new Error(`${what}: needs Node's file system (${(e as Error).message}); in a browser pass bytes or use tf.io's browser handlers`);
  }
}

/** Why a package did not load: missing altogether, or installed but broken. */
export interface PackageImportFailure {
  /** `true` when the package itself cannot be found (not when one of its own files or libraries is missing). */
  missing: boolean;
  /** The first line of the import's error. */
  error: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Imports `pkg`. Resolution errors (Node's "Cannot find package 'x'", Vite's
 * "Could not resolve "x"") name the package only when the package itself is
 * missing; a missing native binding inside it names the binding's path instead.
 *
 * @returns `undefined` once it loaded, else why not.
 */
export async function importPackage(pkg: string): Promise<PackageImportFailure | undefined> {
  try {
    await importAtRuntime(pkg);
    return undefined;
  } catch (e) {
    const message = String((e as Error)?.message ?? e);
    const quoted = `['"]${escapeRegExp(pkg)}['"]`;
    const missing = new RegExp(`(Cannot find (package|module)|Could not resolve) ${quoted}`).test(message);
    return { missing, error: message.split('\n')[0] };
  }
}
