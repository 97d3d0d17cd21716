/**
 * A decode worker: reads whole samples (file reads, image decode, mask
 * decode and mapping) on its own event loop, so that their chain of
 * asynchronous steps moves on while the main thread is busy with a
 * training step, and posts the pixels back (transferred, not copied).
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import type { FormatLayout } from '../formats/format-layout.js';
import { formatModule } from '../formats/registry.js';
import { readSample } from '../read-sample.js';
import type { DecodeReply, DecodeRequest } from './messages.js';

const layouts = new Map<string, Promise<FormatLayout>>();

function layoutOf({ root, options }: DecodeRequest): Promise<FormatLayout> {
  const key = JSON.stringify([root, options]);
  let layout = layouts.get(key);
  if (!layout) {
    if (options.format === 'msrc') throw new Error('decode worker: MSRC is read by its own reader');
    layout = formatModule(options.format).locate(root, options);
    layouts.set(key, layout);
  }
  return layout;
}

/** A copy in an ArrayBuffer of its own: buffers made by native code may not be transferable. */
const own = (bytes: Uint8Array) => (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer) ? bytes : bytes.slice());

parentPort!.on('message', async (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const { id, image, labels } = await readSample(await layoutOf(request), request.sample);
    reply = { job: request.job, id, data: own(image.data), width: image.width, height: image.height, labels: own(labels) };
    parentPort!.postMessage(reply, [reply.data.buffer as ArrayBuffer, reply.labels.buffer as ArrayBuffer]);
  } catch (e) {
    const { message, kind, file, path, reason } = e as Error & { kind?: never; file?: string; path?: string; reason?: string };
    reply = { job: request.job, error: { message, kind, file, path, reason } };
    parentPort!.postMessage(reply);
  }
});
