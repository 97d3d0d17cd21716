// The response headers that make the page cross-origin isolated
// (`crossOriginIsolated === true`): only then do browsers give it
// SharedArrayBuffer, which ONNX Runtime Web's and tfjs's wasm threads need.
// serve.mjs sends them; build.mjs writes them to dist/_headers, the file
// several static hosts read; docs/guides/deploying.md says what other hosts
// must send. Every file the page loads is same-origin, so
// `require-corp` blocks nothing of its own.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** ISOLATION_HEADERS in the `_headers` file format, for every path. */
export function headersFile() {
  return `/*\n${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`;
}
