import { loadModel, selectBackend, writeFileAtomic } from '@seg/core';
import { Command, Option } from 'commander';
import { DEFAULT_ONNX_OPSET, exportOnnx, ONNX_IR_VERSIONS } from '../onnx/export-onnx.js';
import type { CliIo } from './io.js';
// Loading a saved DeepLabV3+ needs its layer classes registered.
import '../model/model-files.js';

/** `seg-deeplab export <saved-model-dir> --out model.onnx [--fp16] [--opset N]`. */
export function exportCommand(io: CliIo): Command {
  return new Command('export')
    .description('convert a model saved by saveModel() (or model.save()) to ONNX; see docs/guides/deploying.md')
    .argument('<saved-model-dir>', 'folder holding model.json and its weight files')
    .requiredOption('--out <file>', 'ONNX file to write (written atomically)')
    .option('--fp16', 'store the weights in half precision: half the file, float32 arithmetic')
    .addOption(new Option('--opset <n>', 'ONNX opset').choices(Object.keys(ONNX_IR_VERSIONS)).default(String(DEFAULT_ONNX_OPSET)))
    .action(async (dir: string, opts: { out: string; fp16?: boolean; opset: string }) => {
      // Reading weights needs a tfjs backend; cpu or wasm do, no GPU is worth starting for it.
      await selectBackend(['cpu', 'wasm']);
      const model = await loadModel(dir);
      try {
        const bytes = await exportOnnx(model, { opset: Number(opts.opset), precision: opts.fp16 ? 'fp16' : 'fp32' });
        await writeFileAtomic(opts.out, bytes);
        io.out(`wrote ${opts.out} (${(bytes.length / 2 ** 20).toFixed(1)} MiB, opset ${opts.opset}${opts.fp16 ? ', fp16 weights' : ''}) from ${dir}\n`);
      } finally {
        model.dispose();
      }
    });
}
