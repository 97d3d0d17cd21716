// Public exports of src/data; each module adds its own line.
export * from './image.js';
export * from './in-memory-dataset.js';
export * from './rng.js';
export * from './augmentation.js';
export * from './resample.js';
export * from './flip.js';
export * from './scale.js';
export * from './rotation.js';
export * from './crop.js';
export * from './scaled-crop.js';
export * from './blur.js';
export * from './color-jitter.js';
export * from './normalize.js';
export * from './batches.js';
export * from './resumable-batches.js';
export * from './seeded-random.js';
