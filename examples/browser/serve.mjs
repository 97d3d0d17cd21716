// A static file server for dist/, on loopback only, sending the
// cross-origin-isolation headers (threads for ONNX Runtime Web and tfjs wasm).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { ISOLATION_HEADERS } from './isolation-headers.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.onnx': 'application/octet-stream', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.map': 'application/json', '.png': 'image/png' };

/** Serves `root` on 127.0.0.1:`port` (0: any free port); resolves to the server. */
export function serve(root, port = 0) {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(root + sep) && path !== root) return res.writeHead(403).end();
    const file = path.endsWith(sep) || path === root ? join(path, 'index.html') : path;
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { ...ISOLATION_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await serve(join(import.meta.dirname, 'dist'), Number(process.env.PORT ?? 8080));
  console.log(`open http://127.0.0.1:${server.address().port}/ (add ?model=<url of model.json> for another model)`);
}
