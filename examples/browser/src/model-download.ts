/**
 * The fine-tuned model as files to download: the tfjs folder `saveModel`
 * writes (model.json and one weights file) zipped; the ONNX file is
 * exportOnnx's bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { strToU8, zipSync } from 'fflate';

/** The folder inside the zip, as `loadModel('<unzipped>/model')` expects it. */
const FOLDER = 'model';
const WEIGHTS_FILE = 'weights.bin';

/** `model` as a zip of a tfjs model folder (`model/model.json` and `model/weights.bin`). */
export async function tfjsModelZip(model: LayersModel): Promise<Uint8Array> {
  let files: Record<string, Uint8Array> = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      files = {
        [`${FOLDER}/model.json`]: strToU8(JSON.stringify(modelJson)),
        [`${FOLDER}/${WEIGHTS_FILE}`]: new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Weights barely compress; storing them keeps the zip fast to make.
  return zipSync(files, { level: 0 });
}

/** Offers `bytes` to the user as a download named `name`. */
export function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference to the blob by now.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
