/** An image file that cannot be read or decoded; `path` names it and the message starts with it. */
export class ImageFileError extends Error {
  override name = 'ImageFileError';
  /**
   * @param path The file (or the name given for in-memory bytes).
   * @param reason What is wrong, without the path.
   */
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
