import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Palette } from '@seg/datasets/classes';

/** A class a model predicts: its name and, optionally, the colour its pixels are painted with. */
export interface ModelClass {
  /** Human-readable name, e.g. `'building'`. */
  name: string;
  /** RGB colour (0–255 each) of the class in label images, e.g. a dataset's ground-truth palette. */
  color?: readonly [number, number, number];
}

/**
 * Key under which {@link setModelClasses} stores the classes in a model's
 * user-defined metadata, which `model.json` keeps as `userDefinedMetadata`
 * (so a saved model carries its class names and palette to every reader).
 */
export const MODEL_CLASSES_KEY = 'segClasses';

/** The number of classes of a model's `[1, H, W, numClasses]` output, if its shape says. */
export function modelClassCount(model: LayersModel): number | undefined {
  const n = model.outputs[0]?.shape[3];
  return typeof n === 'number' ? n : undefined;
}

/**
 * Checks a class list against the model's class count: one entry per class,
 * names non-empty strings, colours three integers in 0–255.
 *
 * @param where Names the model or file in error messages.
 * @returns The list as {@link ModelClass} values.
 */
export function checkModelClasses(value: unknown, numClasses: number | undefined, where: string): ModelClass[] {
  if (!Array.isArray(value)) throw new Error(`${where}: classes must be an array of { name, color? }, got ${JSON.stringify(value)}`);
  if (numClasses !== undefined && value.length !== numClasses) {
    throw new Error(`${where}: ${value.length} classes are named, but the model predicts ${numClasses}; name every class once, in class-id order`);
  }
  return value.map((c, i) => {
    const { name, color } = (c ?? {}) as { name?: unknown; color?: unknown };
    if (typeof name !== 'string' || name === '') throw new Error(`${where}: class ${i} has no name; expected { name: string, color?: [r, g, b] }`);
    if (color === undefined) return { name };
    if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new Error(`${where}: class ${i} (${name}) has colour ${JSON.stringify(color)}; expected [r, g, b] with integers in 0-255`);
    }
    return { name, color: [color[0], color[1], color[2]] as const };
  });
}

/**
 * Records the names (and colours) of a model's classes in its metadata;
 * `saveModel` of `@seg/core` writes them into `model.json` and `loadModel`
 * brings them back. Batch segmentation then names classes in its summary and
 * embeds the colours as the palette of its label PNGs.
 *
 * @param classes One entry per class, in class-id order.
 * @throws If the count differs from the model's output channels or an entry is malformed.
 */
export function setModelClasses(model: LayersModel, classes: readonly ModelClass[]): void {
  const checked = checkModelClasses(classes, modelClassCount(model), `setModelClasses(${model.name})`);
  model.setUserDefinedMetadata({ ...(model.getUserDefinedMetadata() ?? {}), [MODEL_CLASSES_KEY]: checked });
}

/**
 * The classes {@link setModelClasses} recorded in a model (also after a save
 * and load), or `undefined` when it has none.
 *
 * @throws If the recorded list is malformed or does not match the model's class count.
 */
export function getModelClasses(model: LayersModel): ModelClass[] | undefined {
  const stored = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[MODEL_CLASSES_KEY];
  if (stored === undefined) return undefined;
  return checkModelClasses(stored, modelClassCount(model), `model ${model.name}: userDefinedMetadata.${MODEL_CLASSES_KEY}`);
}

/** The classes' colours as a palette when every class has one, else `undefined`. */
export function classPalette(classes: readonly ModelClass[] | undefined): Palette | undefined {
  if (!classes || classes.length === 0 || classes.some((c) => !c.color)) return undefined;
  return classes.map((c) => c.color!);
}
