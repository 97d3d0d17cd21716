import { encodeSafetensors, type SafetensorsInput } from '../packages/core/src/io/safetensors.js';

/**
 * The weights and images of scripts/fixtures/formula_weights.py, computed the
 * same way (float64 expressions rounded once to float32), so a test rebuilds
 * a state dict too large to commit without PyTorch. See that file for the
 * formula.
 */

function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** `f(u(seed, j))` for j < n, rounded to float32: `u` in [0, 1). One tight loop: the formula weights run to ~100M values per test file. */
function fill(seed: number, n: number, f: (u: number) => number): Float32Array {
  const h = hash32(seed);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = f(hash32(h ^ j) / 4294967296);
  return out;
}

/** One state-dict entry: key and torch shape. */
export type StateDictEntry = [key: string, shape: number[]];

/** The value of state-dict tensor `index`, as the Python script computes it. */
export function formulaTensor(index: number, [key, shape]: StateDictEntry, keys: ReadonlySet<string>): SafetensorsInput {
  const n = shape.reduce((a, b) => a * b, 1);
  if (key.endsWith('num_batches_tracked')) return { dtype: 'I64', shape, data: new BigInt64Array(n) };
  const module = key.slice(0, key.lastIndexOf('.'));
  const param = key.slice(module.length + 1);
  const bn = keys.has(`${module}.running_mean`);
  let f: (v: number) => number;
  if (param === 'weight' && shape.length === 4) {
    const scale = Math.sqrt(24 / (shape[1] * shape[2] * shape[3]));
    f = (v) => (v - 0.5) * scale;
  } else if (param === 'weight' && shape.length === 2) {
    const scale = Math.sqrt(12 / shape[1]);
    f = (v) => (v - 0.5) * scale;
  } else if (param === 'weight' && bn) f = (v) => 0.5 + v;
  else if (param === 'bias') f = bn ? (v) => 0.4 * (v - 0.5) : (v) => 0.2 * (v - 0.5);
  else if (param === 'running_mean') f = (v) => 0.4 * (v - 0.5);
  else if (param === 'running_var') f = (v) => 0.5 + 1.5 * v;
  else throw new Error(`no formula for ${key} [${shape}]`);
  return { dtype: 'F32', shape, data: fill(index + 1, n, f) };
}

/** A whole state dict from the formula, as safetensors bytes (keys in the given order). */
export function formulaStateDict(entries: readonly StateDictEntry[]): Uint8Array {
  const keys = new Set(entries.map(([k]) => k));
  return encodeSafetensors(Object.fromEntries(entries.map((e, i) => [e[0], formulaTensor(i, e, keys)])));
}

/** An NHWC float32 array `4 · (u − ½)` with its own seed (images, loss weights). */
export function formulaArray(seed: number, size: number): Float32Array {
  return fill(seed, size, (v) => 4 * (v - 0.5));
}
