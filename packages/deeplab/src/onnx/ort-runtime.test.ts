import { describe, expect, it, vi } from 'vitest';
import { importOrt } from './ort-runtime.js';

// Both runtimes are dev dependencies here; a user without them gets what a failing import gives.
vi.mock('../runtime-import.js', () => ({
  importAtRuntime: async (specifier: string) => {
    throw new Error(`Cannot find package '${specifier}' imported from /app/node_modules/@seg/deeplab/dist/index.js`);
  },
}));

describe('a missing optional ONNX Runtime peer', () => {
  it('is named, with the install command', async () => {
    await expect(importOrt('node', 'loadOnnxSegmenter')).rejects.toThrow(
      "loadOnnxSegmenter: the optional peer dependency onnxruntime-node could not be loaded (Cannot find package 'onnxruntime-node' imported from /app/node_modules/@seg/deeplab/dist/index.js); install it with `npm install onnxruntime-node@^1.30.0` (its CPU runtime ships in the package; set ONNXRUNTIME_NODE_INSTALL=skip or add --ignore-scripts so its install script downloads no CUDA parts)",
    );
    await expect(importOrt('web', 'loadOnnxSegmenter')).rejects.toThrow(
      "install it with `npm install onnxruntime-web@^1.30.0`, or pass the imported module as options.ort (import * as ort from 'onnxruntime-web')",
    );
  });
});
