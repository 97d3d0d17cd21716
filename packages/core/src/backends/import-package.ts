import { importAtRuntime } from '../io/runtime-import.js';

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
