/**
 * Asking Dawn for adapters in a child process. Dawn, Mesa and the Vulkan
 * loader write straight to file descriptor 2 from native code while they
 * look for adapters ("error: XDG_RUNTIME_DIR is invalid…", "Warning: Vulkan
 * shaderUniform*ArrayDynamicIndexing required…", limit warnings), which no
 * JavaScript can redirect in-process; on a machine without a usable GPU that
 * is all a training run printed, and it read as failures. The child's stderr
 * is captured instead and kept as the probe's `log` (`seg-doctor` prints its
 * summary). A Dawn crash while probing also ends only the child.
 *
 * The cost is the child's Node start-up, once per process (the answer is
 * remembered): `bench/webgpu-probe.bench.mjs`, numbers in bench/README.md.
 *
 * @module
 */
import { importAtRuntime } from '../../io/runtime-import.js';
import { DAWN_PACKAGE } from '../packages.js';
import type { GpuAdapterInfoLike } from './adapters.js';

/** One request to Dawn: instance toggles and `requestAdapter` options. */
export interface AdapterRequest {
  dawnOptions: readonly string[];
  requestOptions: Readonly<Record<string, unknown>>;
}

/** What the child found: per request, the adapter's info (`null`: none), and what Dawn printed meanwhile. */
export interface AdapterProbe {
  infos: (GpuAdapterInfoLike | null)[];
  /** Dawn's (and its drivers') native messages while probing, one per line. */
  log: string[];
}

// Plain JavaScript the child runs: argv[1] is webgpu's entry URL, argv[2] the requests as JSON.
const CHILD = `
const { create } = await import(process.argv[1]);
const instances = new Map();
const infos = [];
for (const { dawnOptions, requestOptions } of JSON.parse(process.argv[2])) {
  const key = dawnOptions.join(',');
  if (!instances.has(key)) instances.set(key, create(dawnOptions));
  const adapter = await instances.get(key).requestAdapter(requestOptions).catch(() => null);
  const i = adapter && adapter.info;
  infos.push(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } : null);
}
process.stdout.write(JSON.stringify(infos));
process.exit(0);
`;

/** Mesa's EGL otherwise looks for an X11/Wayland display, which a server or container lacks; compute needs none. */
export function useSurfacelessEgl(): void {
  if (process.platform === 'linux' && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
}

/** The URL of the `webgpu` package's entry, resolved from @seg/core (or, in the CommonJS build, the working directory). */
async function webgpuEntry(): Promise<string> {
  const { createRequire } = (await importAtRuntime('node:module')) as typeof import('node:module');
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  const from = typeof import.meta.url === 'string' ? import.meta.url : `${process.cwd()}/`;
  return pathToFileURL(createRequire(from).resolve(DAWN_PACKAGE.name)).href;
}

/**
 * Asks Dawn, in a child process, for an adapter per request.
 *
 * @throws If the child fails (Dawn crashed or did not load), with the last line it printed.
 */
export async function probeAdapters(requests: readonly AdapterRequest[]): Promise<AdapterProbe> {
  const { execFile } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
  useSurfacelessEgl();
  const args = ['--input-type=module', '-e', CHILD, await webgpuEntry(), JSON.stringify(requests)];
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown; signal?: unknown }) | null }>(
    (done) => execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => done({ error, stdout, stderr })),
  );
  const log = stderr.split('\n').filter((l) => l.trim() !== '');
  if (error) {
    const how = error.signal ? `was killed by ${error.signal}` : `exited with code ${error.code}`;
    throw new Error(`the WebGPU adapter probe (a child process loading ${DAWN_PACKAGE.name}) ${how}${log.length ? `: ${log.at(-1)}` : ''}`);
  }
  return { infos: JSON.parse(stdout) as (GpuAdapterInfoLike | null)[], log };
}
