import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { type LayerGradient, layerGradient, registerLayerGradient } from './layer-gradient.js';
import { recomputeGradient } from './recompute-gradient.js';

class Doubled extends tfl.layers.Layer {
  static className = 'Doubled';
}
/** Inherits `Doubled`'s className without declaring its own: it may compute anything else. */
class Undeclared extends Doubled {}
class Declared extends Doubled {
  static override className = 'Declared';
}
const never: LayerGradient = { supports: () => false, step: recomputeGradient.step };

describe('registerLayerGradient', () => {
  it('registers by class or by class name, and a later registration replaces an earlier one', () => {
    registerLayerGradient(Doubled, recomputeGradient);
    expect(layerGradient(new Doubled({}))).toBe(recomputeGradient);
    registerLayerGradient('Doubled', never);
    // Registered, but its supports() turns this instance down.
    expect(layerGradient(new Doubled({}))).toBeUndefined();
    registerLayerGradient(Doubled, recomputeGradient);
  });

  it("gives a subclass its parent's gradient only if registered under its own className", () => {
    registerLayerGradient(Doubled, recomputeGradient);
    expect(layerGradient(new Undeclared({}))).toBeUndefined();
    expect(layerGradient(new Declared({}))).toBeUndefined();
    registerLayerGradient(Declared, recomputeGradient);
    expect(layerGradient(new Declared({}))).toBe(recomputeGradient);
  });
});
