/** An error about one file; `path` names it and the message starts with it. */
export class FileError extends Error {
  /**
   * @param path The file.
   * @param reason What went wrong.
   * @param message The whole message. Default: `<path>: <reason>`.
   */
  constructor(
    readonly path: string,
    reason: string,
    message = `${path}: ${reason}`,
  ) {
    super(message);
  }
}

/** An input image that cannot be read or decoded. */
export class ImageReadError extends FileError {
  override name = 'ImageReadError';
}

/** A model that failed on an image (e.g. one smaller than the model accepts). */
export class SegmentationError extends FileError {
  override name = 'SegmentationError';
}

/** A model that cannot be loaded; the message names its path. */
export class ModelLoadError extends FileError {
  override name = 'ModelLoadError';
  /**
   * @param path The model folder, `model.json` or `.onnx` file.
   * @param reason Why it could not be loaded.
   */
  constructor(path: string, reason: string) {
    super(path, reason, `cannot load model ${path}: ${reason}`);
  }
}

/** A segmentation worker process that exited while it held images. */
export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
}

/** An optional peer dependency that is not installed; the message gives the install command. */
export class MissingPeerError extends Error {
  override name = 'MissingPeerError';
  /**
   * @param packages The missing packages.
   * @param purpose What needs them.
   * @param cause The import error.
   */
  constructor(
    readonly packages: readonly string[],
    purpose: string,
    cause: string,
  ) {
    super(`${purpose} needs ${packages.join(' and ')} (optional peers of @seg/deeplab): npm install ${packages.join(' ')} (${cause})`);
  }
}

/** An error as plain data, as it crosses process boundaries and lands in summaries. */
export interface ErrorInfo {
  name: string;
  message: string;
}

/** The name and message of anything thrown. */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** `"Name: message"`, the form failures are reported in. */
export function describeError(e: unknown): string {
  const { name, message } = errorInfo(e);
  return `${name}: ${message}`;
}

/** An Error carrying a name and message received from elsewhere (a worker process). */
export function errorFromInfo(info: ErrorInfo): Error {
  const e = new Error(info.message);
  e.name = info.name;
  return e;
}
