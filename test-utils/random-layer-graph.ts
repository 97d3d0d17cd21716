/**
 * Random small tfjs-layers models for property tests of the layer-by-layer
 * engine (`modelGradients`): functional and `Sequential` models, nested
 * models (called once or twice, with one or two outputs), shared layers,
 * several inputs and outputs, tfjs-layers' own layers and @seg's, seeded
 * dropout, and two custom layers: one registered with `recomputeGradient`
 * (per-layer tape) and one not registered at all (the whole model on the
 * tape). Everything, weights included, follows from the seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerLayerGradient } from '../packages/core/src/backprop/layer-gradient.js';
import { recomputeGradient } from '../packages/core/src/backprop/recompute-gradient.js';
import { SeededRng } from '../packages/core/src/data/rng.js';
import { atrousConv2d } from '../packages/core/src/layers/atrous-conv2d.js';
import { atrousSeparableConv2d } from '../packages/core/src/layers/atrous-separable-conv2d.js';
import { batchNormAct } from '../packages/core/src/layers/batch-norm-act.js';
import { resizeBilinear } from '../packages/core/src/layers/resize-bilinear.js';

type Layer = tfl.layers.Layer;
type Sym = tfl.SymbolicTensor;
/** A value's shape without the batch axis. */
type Shape = number[];

/** A layer with one weight per channel, `w`, for the two custom layers below. */
abstract class ChannelWeightLayer extends tfl.layers.Layer {
  protected w!: tfl.LayerVariable;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.w = this.addWeight('w', [shape[shape.length - 1]!], 'float32', tfl.initializers.ones());
    this.built = true;
  }
}

/** x · w: a user's layer that nobody registered, so its model trains on the tape. */
export class UnregisteredScale extends ChannelWeightLayer {
  static className = 'UnregisteredScale';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.w.read()));
  }
}

/** x² / 2 + w: a user's deterministic layer registered with `recomputeGradient`. */
export class RecomputedShift extends ChannelWeightLayer {
  static className = 'RecomputedShift';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(tf.square(Array.isArray(inputs) ? inputs[0] : inputs), 0.5), this.w.read()));
  }
}
registerLayerGradient(RecomputedShift, recomputeGradient);

const ACTIVATIONS = ['linear', 'relu', 'elu', 'selu', 'sigmoid', 'tanh', 'softplus', 'softsign', 'swish', 'mish', 'softmax'] as const;

/** A generated model and what the test needs to know about it. */
export interface GraphCase {
  model: tfl.LayersModel;
  inputShapes: Shape[];
  /** Whether some nested model has several outputs (tfjs-layers then moves its BN statistics once per output). */
  multiOutputNested: boolean;
  /** Whether the model holds a layer with no registered gradient (it trains on the tape). */
  unregistered: boolean;
  /** Layer classes, and the structures `'shared layer'`, `'shared model'`, `'two inputs'`, `'two outputs'`. */
  features: Set<string>;
  /** One line per layer, for a failure message. */
  summary: string;
}

const shapeOf = (s: Sym): Shape => s.shape.slice(1) as number[];
const spatial = (s: Shape) => s.length === 3;
const isModel = (l: Layer): l is tfl.LayersModel => l instanceof tfl.LayersModel;

/** The random model of `seed`: everything in it, weights included, follows from the seed. */
export function randomGraph(seed: number): GraphCase {
  const generator = new RandomGraphs(seed);
  const inputShapes: Shape[] = [generator.imageShape()];
  if (generator.chance(0.2)) inputShapes.push(generator.chance(0.5) ? [...inputShapes[0]] : generator.imageShape());
  const model = generator.model(inputShapes);
  // What the outputs reach, nested models included (a value nothing reads is not in the model).
  const layers: Layer[] = [];
  const visit = (m: tfl.LayersModel): void => {
    for (const l of m.layers) {
      layers.push(l);
      if (isModel(l)) visit(l);
    }
  };
  visit(model);
  const features = new Set(layers.map((l) => l.getClassName()));
  // A model's first node is its own graph; a layer's are its calls.
  if (layers.some((l) => isModel(l) && l.inboundNodes.length > 2)) features.add('shared model');
  if (layers.some((l) => !isModel(l) && l.inboundNodes.length > 1)) features.add('shared layer');
  if (inputShapes.length > 1) features.add('two inputs');
  if (model.outputs.length > 1) features.add('two outputs');
  return {
    model,
    inputShapes,
    multiOutputNested: layers.some((l) => isModel(l) && l.outputs.length > 1),
    unregistered: layers.some((l) => l instanceof UnregisteredScale),
    features,
    summary: model.layers.map((l) => `${l.name} (${l.getClassName()})`).join(', '),
  };
}

class RandomGraphs {
  private readonly rng: SeededRng;

  constructor(seed: number) {
    this.rng = new SeededRng(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)];
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  private seed(): number {
    return this.rng.int(1_000_000);
  }
  imageShape(): Shape {
    return [4 + this.rng.int(5), 4 + this.rng.int(5), 1 + this.rng.int(4)];
  }

  model(inputShapes: Shape[]): tfl.LayersModel {
    const model =
      inputShapes.length === 1 && this.chance(0.25) ? this.sequential(inputShapes[0], 0) : this.functional(inputShapes, 0, this.chance(0.3) ? 2 : 1);
    this.initialise(model);
    return model;
  }

  /** Seeded weights: BN variances in [0.5, 1.5], everything else N(0, 0.5²) (gammas too: some near zero). */
  private initialise(model: tfl.LayersModel): void {
    const values = model.weights.map((w) =>
      w.name.endsWith('moving_variance')
        ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', this.seed())
        : tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', this.seed()),
    );
    model.setWeights(values);
    tf.dispose(values);
  }

  private sequential(input: Shape, depth: number): tfl.LayersModel {
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: input })] });
    const steps = 1 + this.rng.int(5);
    for (let i = 0; i < steps; i++) {
      const shape = shapeOf(model.outputs[0]);
      const layer = depth < 2 && this.chance(0.1) ? this.sequential(shape, depth + 1) : this.unary(shape);
      if (layer) model.add(layer);
    }
    return model;
  }

  private functional(inputShapes: Shape[], depth: number, outputs: number): tfl.LayersModel {
    const inputs = inputShapes.map((s) => tfl.input({ shape: s }));
    // Values so far, each with the inputs it depends on (every input must reach an output).
    const pool: Array<{ sym: Sym; from: Set<number> }> = inputs.map((sym, i) => ({ sym, from: new Set([i]) }));
    const reusable: Array<{ layer: Layer; shape: string }> = [];
    const recent = () => pool[pool.length - 1 - this.rng.int(Math.min(3, pool.length))];
    const add = (sym: Sym | Sym[], from: Set<number>) => {
      for (const s of [sym].flat()) pool.push({ sym: s, from });
    };
    if (inputs.length === 2) {
      const [a, b] = pool;
      const ref = resizeBilinear().apply([b.sym, a.sym]) as Sym;
      add(tfl.layers.concatenate().apply([a.sym, ref]) as Sym, new Set([0, 1]));
    }
    const steps = 2 + this.rng.int(6);
    for (let i = 0; i < steps; i++) {
      const x = recent();
      const shape = shapeOf(x.sym);
      const kind = this.rng.next();
      const same = pool.filter((e) => e !== x && e.sym.shape.join() === x.sym.shape.join());
      if (kind < 0.1 && same.length > 0) {
        const y = this.pick(same);
        const merge = this.pick(['add', 'multiply', 'average', 'maximum', 'minimum'] as const);
        add(tfl.layers[merge]().apply([x.sym, y.sym]) as Sym, new Set([...x.from, ...y.from]));
      } else if (kind < 0.18 && spatial(shape)) {
        const others = pool.filter((e) => spatial(shapeOf(e.sym)) && e.sym.shape[1] === x.sym.shape[1] && e.sym.shape[2] === x.sym.shape[2]);
        const parts = [x, this.pick(others)];
        add(tfl.layers.concatenate().apply(parts.map((p) => p.sym)) as Sym, new Set(parts.flatMap((p) => [...p.from])));
      } else if (kind < 0.24 && spatial(shape)) {
        add(this.squeezeExcite(x.sym), x.from);
      } else if (kind < 0.3 && spatial(shape) && pool.some((e) => spatial(shapeOf(e.sym)))) {
        const ref = this.pick(pool.filter((e) => spatial(shapeOf(e.sym))));
        add(resizeBilinear().apply([x.sym, ref.sym]) as Sym, new Set([...x.from, ...ref.from]));
      } else if (kind < 0.4 && depth < 2) {
        const nestedOutputs = this.chance(0.3) ? 2 : 1;
        const nested = this.chance(0.3) ? this.sequential(shape, depth + 1) : this.functional([shape], depth + 1, nestedOutputs);
        add(nested.apply(x.sym) as Sym | Sym[], x.from);
        // A second call of the same model: its layers are shared.
        const twin = same.length > 0 && this.chance(0.5) ? this.pick(same) : null;
        if (twin) add(nested.apply(twin.sym) as Sym | Sym[], twin.from);
      } else if (kind < 0.47 && reusable.some((r) => r.shape === x.sym.shape.join())) {
        const { layer } = this.pick(reusable.filter((r) => r.shape === x.sym.shape.join()));
        add(layer.apply(x.sym) as Sym, x.from);
      } else {
        const layer = this.unary(shape);
        if (!layer) continue;
        add(layer.apply(x.sym) as Sym, x.from);
        reusable.push({ layer, shape: x.sym.shape.join() });
      }
    }
    // The last values, then whatever covers the inputs they miss.
    const chosen = pool.slice(-outputs);
    for (const e of [...pool].reverse()) {
      const covered = new Set(chosen.flatMap((c) => [...c.from]));
      if (inputs.every((_, i) => covered.has(i))) break;
      if ([...e.from].some((i) => !covered.has(i)) && !chosen.includes(e)) chosen.push(e);
    }
    return tfl.model({ inputs, outputs: chosen.map((c) => c.sym) });
  }

  /** Squeeze-and-excitation (MobileNetV3's): x · σ(dense(relu(dense(mean over H, W)))), broadcast over H and W. */
  private squeezeExcite(x: Sym): Sym {
    const c = x.shape[3]!;
    let s = tfl.layers.globalAveragePooling2d({}).apply(x) as Sym;
    s = tfl.layers.dense({ units: Math.max(1, c >> 1), activation: 'relu' }).apply(s) as Sym;
    s = tfl.layers.dense({ units: c, activation: 'sigmoid' }).apply(s) as Sym;
    s = tfl.layers.reshape({ targetShape: [1, 1, c] }).apply(s) as Sym;
    return tfl.layers.multiply().apply([x, s]) as Sym;
  }

  /** A random one-input layer that fits `shape`, or null. */
  private unary(shape: Shape): Layer | null {
    const r = this.rng;
    const act = () => this.pick(ACTIVATIONS);
    if (!spatial(shape)) {
      return this.pick([
        () => tfl.layers.dense({ units: 1 + r.int(4), activation: act(), useBias: this.chance(0.7) }),
        () => tfl.layers.activation({ activation: act() }),
        () => tfl.layers.dropout({ rate: 0.3, seed: this.seed() }),
        () => tfl.layers.reshape({ targetShape: [1, 1, shape[0]] }),
      ])();
    }
    const [h, w, c] = shape;
    const small = Math.min(h, w);
    const stride = () => (small >= 4 && this.chance(0.3) ? 2 : 1);
    const padding = (k: number): 'valid' | 'same' => (small >= k + 1 && this.chance(0.4) ? 'valid' : 'same');
    const makers: Array<() => Layer | null> = [
      () => {
        const dilation = this.chance(0.3) ? 2 : 1;
        const strides = dilation > 1 ? 1 : stride();
        const kernelSize = this.pick([1, 3]);
        const args = { filters: 1 + r.int(5), kernelSize, strides, dilationRate: dilation, padding: padding((kernelSize - 1) * dilation + 1), useBias: this.chance(0.5) };
        // tfjs's fused conv gradient (linear and unfusable activations) rejects dilation: only ReLU and ELU run unfused.
        if (this.chance(0.5)) return tfl.layers.conv2d({ ...args, activation: dilation > 1 ? this.pick(['relu', 'elu'] as const) : act() });
        return atrousConv2d({ ...args, activation: act() });
      },
      () => tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 1 + r.int(2), strides: stride(), padding: padding(3), activation: act(), useBias: this.chance(0.5) }),
      () => {
        const dilation = this.chance(0.4) ? 2 : 1;
        const args = { filters: 1 + r.int(4), kernelSize: 3, padding: padding(2 * dilation + 1), useBias: this.chance(0.5), activation: act() };
        return dilation > 1 ? atrousSeparableConv2d({ ...args, dilationRate: dilation }) : tfl.layers.separableConv2d({ ...args, strides: stride() });
      },
      // Batch statistics of fewer than 4 values per channel cancel almost all of the gradient: float noise only.
      () => (h * w < 4 ? null : tfl.layers.batchNormalization({ momentum: r.uniform(0.5, 0.99), epsilon: 1e-3 })),
      () => (h * w < 4 ? null : batchNormAct({ activation: this.pick(['relu', 'linear'] as const) })),
      () => tfl.layers.activation({ activation: act() }),
      () => tfl.layers.reLU(this.chance(0.3) ? { maxValue: 1 } : {}),
      () => tfl.layers.leakyReLU({ alpha: 0.2 }),
      () => tfl.layers.elu({}),
      () => (c > 1 ? tfl.layers.softmax({ axis: -1 }) : null),
      () => tfl.layers.maxPooling2d({ poolSize: 2, strides: stride(), padding: padding(2) }),
      () => tfl.layers.averagePooling2d({ poolSize: 2, strides: stride(), padding: padding(2) }),
      () => (Math.max(h, w) <= 5 ? tfl.layers.upSampling2d({ size: [2, 2] }) : null),
      () => tfl.layers.zeroPadding2d({ padding: 1 }),
      () => (Math.max(h, w) <= 5 ? resizeBilinear({ scale: 2 }) : resizeBilinear({ size: [3 + r.int(4), 3 + r.int(4)] })),
      () => tfl.layers.dropout({ rate: r.uniform(0.1, 0.5), seed: this.seed(), noiseShape: this.chance(0.3) ? ([null, 1, 1, null] as unknown as number[]) : undefined }),
      () => tfl.layers.dense({ units: 1 + r.int(4), activation: act() }),
      () => tfl.layers.globalAveragePooling2d({}),
      () => tfl.layers.globalMaxPooling2d({}),
      () => new RecomputedShift({}),
      () => new UnregisteredScale({}),
    ];
    // The unregistered layer in about one case in ten.
    const maker = this.chance(0.03) ? makers[makers.length - 1] : this.pick(makers.slice(0, -1));
    return maker();
  }
}
