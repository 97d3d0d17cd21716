import { readPixels } from '../inference/image-pixels.js';
import { checkMemory, availableMemory, type MemoryLimits, WASM_HEAP_BYTES } from '../inference/memory-limits.js';
import type { Segmenter } from '../inference/segmenter.js';
import { type LogitsRunner, segmentWithTta } from '../inference/test-time-augmentation.js';
import { type ModelSource, readModelSource } from './model-source.js';
import { parseSegmenterMetadata, type SegmenterMetadata } from './onnx-metadata.js';
import { findExternalTensor, type OnnxHeader, readOnnxHeader } from './onnx-proto.js';
import { defaultOrtRuntime, importOrt, type OrtModule, type OrtRuntimeName, type OrtSession } from './ort-runtime.js';

/** Options of {@link loadOnnxSegmenter}. */
export interface OnnxSegmenterOptions {
  /** `'node'` (`onnxruntime-node`) or `'web'` (`onnxruntime-web`). Default: `'node'` in Node.js, else `'web'`. */
  runtime?: OrtRuntimeName;
  /**
   * The imported ONNX Runtime module, for bundlers (`import * as ort from
   * 'onnxruntime-web'`). Default: imported at run time by package name.
   */
  ort?: OrtModule;
  /**
   * Execution providers in order of preference. Default `['cpu']` in Node;
   * in browsers `['webgpu', 'wasm']` where `navigator.gpu` exists, else `['wasm']`.
   */
  executionProviders?: string[];
  /** Threads of ONNX Runtime's operator pool. Default: ONNX Runtime's (all cores in Node). */
  threads?: number;
}

function notOnnx(where: string, name: string, why: string): Error {
  return new Error(`${where}: ${name} is not an ONNX model (${why}); expected a .onnx file written by exportOnnx() or \`seg-deeplab export\``);
}

function readHeader(where: string, name: string, bytes: Uint8Array): OnnxHeader {
  let header: OnnxHeader;
  try {
    header = readOnnxHeader(bytes);
  } catch (e) {
    throw notOnnx(where, name, `its bytes do not parse as protobuf: ${(e as Error).message}`);
  }
  if (!(header.irVersion >= 3) || header.opset === undefined || header.inputs.length === 0 || header.outputs.length === 0) {
    throw notOnnx(where, name, 'no IR version, opset or graph inputs and outputs');
  }
  // ONNX Runtime, handed the bytes, would resolve external data against the process's working directory
  // (not the model's folder), so a model file could read the service's files into its weights. exportOnnx never writes it.
  let external: ReturnType<typeof findExternalTensor>;
  try {
    external = findExternalTensor(bytes);
  } catch (e) {
    throw notOnnx(where, name, (e as Error).message);
  }
  if (external) {
    throw new Error(
      `${where}: ${name} keeps tensor "${external.name}" in an external file (location ${JSON.stringify(external.location)}); ONNX external data is refused, ` +
        'as ONNX Runtime would read it relative to the working directory, not the model; save the model with its weights inside ' +
        '(Python: onnx.save_model(model, path, save_as_external_data=False); exportOnnx() and `seg-deeplab export` always do)',
    );
  }
  if (header.inputs.length !== 1 || header.outputs.length !== 1) {
    throw new Error(`${where}: ${name} has ${header.inputs.length} inputs and ${header.outputs.length} outputs; a segmenter needs one image input and one logits output`);
  }
  const channels = header.inputs[0].dims[1];
  if (header.inputs[0].dims.length !== 4 || channels !== 3) {
    throw new Error(`${where}: ${name}'s input "${header.inputs[0].name}" has shape [${header.inputs[0].dims.join(', ')}]; a segmenter feeds [N, 3, H, W] RGB images`);
  }
  return header;
}

function ortRunner(session: OrtSession, ort: OrtModule, meta: SegmenterMetadata, runtime: OrtRuntimeName): LogitsRunner {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    classes: meta.numClasses,
    normalization: meta.normalization,
    async checkFits(n, height, width, imageWidth, imageHeight) {
      if (height < meta.minInputSize || width < meta.minInputSize) {
        throw new Error(`segment: a ${width}x${height} input is smaller than the model's ${meta.minInputSize} px minimum per side`);
      }
      if (meta.peakBytesPerPixel === undefined) return;
      const pixels = n * height * width;
      const need = { peakBytes: pixels * (meta.peakBytesPerPixel + 4 * (3 + meta.numClasses)), largestTensorBytes: pixels * 4 * meta.numClasses };
      const limits: MemoryLimits =
        runtime === 'web' ? { total: { bytes: WASM_HEAP_BYTES, what: "ONNX Runtime Web's 4 GiB wasm heap (32-bit wasm)" } } : { total: await availableMemory() };
      checkMemory('segment', `ONNX Runtime ${runtime}`, imageWidth, imageHeight, need, limits);
    },
    logits(images, n, height, width) {
      // One run at a time: ONNX Runtime Web refuses concurrent runs of a session.
      const run = queue.then(async () => {
        const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', images, [n, 3, height, width]) });
        const logits = out[session.outputNames[0]];
        const [on, classes, oh, ow] = logits.dims;
        if (logits.dims.length !== 4 || on !== n || oh !== height || ow !== width) {
          throw new Error(`segment: the model maps a [${n}, 3, ${height}, ${width}] input to [${logits.dims.join(', ')}]; expected [${n}, classes, ${height}, ${width}] logits`);
        }
        return { data: logits.data as Float32Array, classes };
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/**
 * Loads an ONNX model written by {@link exportOnnx} into ONNX Runtime
 * (`onnxruntime-node` in Node, `onnxruntime-web` in browsers: wasm, and
 * WebGPU where the browser has it; both optional peers) and returns a
 * {@link Segmenter} whose `segment(image, options)` gives the same
 * {@link Segmentation} as {@link segment} with the same options (flip,
 * scales, scores), the same checks on its input, and memory checked
 * against the runtime's limit before a run (ONNX Runtime Web: the 4 GiB wasm
 * heap; Node: the machine's memory).
 *
 * @param source A file path (Node), a URL, or the model's bytes.
 * @throws Naming the file: if it cannot be read, is not ONNX, lacks the
 *   `seg.*` metadata, or does not take `[N, 3, H, W]` images; naming the
 *   package and its install command if the runtime is not installed.
 *
 * @example
 * ```ts
 * const segmenter = await loadOnnxSegmenter('model.onnx');
 * const { labels } = await segmenter.segment({ data: rgb, width: 320, height: 213, channels: 3 }, { flip: true });
 * await segmenter.dispose();
 * ```
 */
export async function loadOnnxSegmenter(source: ModelSource, options: OnnxSegmenterOptions = {}): Promise<Segmenter> {
  const where = 'loadOnnxSegmenter';
  const { bytes, name } = await readModelSource(where, source);
  const header = readHeader(where, name, bytes);
  const meta = parseSegmenterMetadata(name, header.metadata);
  const runtime = options.runtime ?? defaultOrtRuntime();
  if (runtime !== 'node' && runtime !== 'web') throw new Error(`${where}: options.runtime is ${JSON.stringify(runtime)}; expected 'node' or 'web'`);
  const ort = options.ort ?? (await importOrt(runtime, where));
  const gpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const executionProviders = options.executionProviders ?? (runtime === 'node' ? ['cpu'] : gpu ? ['webgpu', 'wasm'] : ['wasm']);
  if (runtime === 'web' && options.threads !== undefined && ort.env?.wasm) ort.env.wasm.numThreads = options.threads;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders,
    graphOptimizationLevel: 'all',
    ...(runtime === 'node' && options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
  });
  const runner = ortRunner(session, ort, meta, runtime);
  let disposed = false;
  return {
    ...(meta.classes ? { classes: meta.classes } : {}),
    async segment(image, segmentOptions) {
      if (disposed) throw new Error('segment: this ONNX segmenter was disposed; load the model again');
      return segmentWithTta('segment', await readPixels('segment', image), segmentOptions, runner);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
