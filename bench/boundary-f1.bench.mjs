// Boundary F1 (`boundaryF1` / `BoundaryF1Accumulator` of @seg/core) per image at
// 513×513 with 21 classes, the target being ≤ 50 ms per image. Pure JavaScript,
// no tfjs backend involved. Label maps are Voronoi cells of random classes
// (irregular edges) with a 255 (ignored) band of 5 px along some cell edges, as
// void. The prediction is the truth shifted by (2, 1) px with 12 wrong discs
// (radius 4–20 px, random classes): a model's errors come in blobs.
//
//   scene   8 cells of 5 classes (a VOC-like image: a few objects on a background)
//   busy    60 cells of all 21 classes (every class present in both maps is matched)
//   salt    busy, plus 1 % of the predicted pixels relabelled at random: every class
//           has boundary pixels all over the image, the worst case (the most
//           boundary pixels, many of them far from any of their class in the truth)
//
// Run after `pnpm build`:
//   node bench/boundary-f1.bench.mjs [runs=15] [size=513] [baseline]
// `baseline` is another build of @seg/core's dist/index.js (e.g. one copied to
// packages/core/.tmp/baseline/dist before a change, so its imports still
// resolve); it is measured side by side, right after this build on each entry,
// after checking that both builds give the same boundary counts.
// Prints one JSON line per map, entry point and build:
//   { map, size, classes, entry, build, tolerance_px, meanF1, ms_per_image, cpu_ms_per_image }
// ms_per_image is the median wall time; cpu_ms_per_image the process's CPU time
// (user + system) per image over the same runs, which other jobs on a busy
// machine inflate far less than the wall time.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../packages/core/dist/index.js';
import { medianMs } from './timing.mjs';

const { SeededRng } = current;

const runs = Number(process.argv[2] ?? 15);
const size = Number(process.argv[3] ?? 513);
const builds = { current };
if (process.argv[4]) builds.baseline = await import(pathToFileURL(resolve(process.argv[4])).href);
const NUM_CLASSES = 21;
const IGNORE = 255;

function voronoi(rng, cells, classes) {
  const seeds = Array.from({ length: cells }, () => ({ x: rng.int(size), y: rng.int(size), c: classes[rng.int(classes.length)] }));
  const labels = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let best = Infinity;
      let second = Infinity;
      let label = 0;
      for (const s of seeds) {
        const d = Math.hypot(x - s.x, y - s.y);
        if (d < best) {
          second = best;
          best = d;
          label = s.c;
        } else if (d < second) second = d;
      }
      // Void along every other cell edge.
      labels[y * size + x] = second - best < 2.5 && (label & 1) === 0 ? IGNORE : label;
    }
  }
  return labels;
}

function perturbed(rng, truth, salt) {
  const p = new Uint8Array(truth.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = truth[Math.min(size - 1, y + 1) * size + Math.min(size - 1, x + 2)];
      p[y * size + x] = t === IGNORE ? 0 : t;
    }
  }
  for (let k = 0; k < 12; k++) {
    const cx = rng.int(size);
    const cy = rng.int(size);
    const r = 4 + rng.int(17);
    const c = rng.int(NUM_CLASSES);
    for (let y = Math.max(0, cy - r); y < Math.min(size, cy + r + 1); y++) {
      for (let x = Math.max(0, cx - r); x < Math.min(size, cx + r + 1); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) p[y * size + x] = c;
    }
  }
  if (salt) for (let k = 0; k < p.length / 100; k++) p[rng.int(p.length)] = rng.int(NUM_CLASSES);
  return p;
}

const rng = new SeededRng(28);
const scene = voronoi(rng, 8, [0, 3, 7, 12, 15]);
const busy = voronoi(rng, 60, Array.from({ length: NUM_CLASSES }, (_, c) => c));
const maps = { scene: [scene, false], busy: [busy, false], salt: [busy, true] };
for (const [map, [truth, salt]] of Object.entries(maps)) {
  const predicted = perturbed(rng, truth, salt);
  const classes = new Set(truth).size - (truth.includes(IGNORE) ? 1 : 0);
  const options = { numClasses: NUM_CLASSES, ignoreIndex: IGNORE };
  const once = current.boundaryF1(predicted, truth, size, size, options);
  const entries = (m) => {
    const acc = new m.BoundaryF1Accumulator(NUM_CLASSES, { ignoreIndex: IGNORE });
    return {
      boundaryF1: () => m.boundaryF1(predicted, truth, size, size, options),
      'BoundaryF1Accumulator.update': () => acc.update(predicted, truth, size, size),
    };
  };
  const perBuild = Object.entries(builds).map(([build, m]) => [build, entries(m)]);
  if (builds.baseline) {
    const counts = (r) => JSON.stringify(Object.values(r.counts).map((a) => Array.from(a)));
    if (counts(builds.baseline.boundaryF1(predicted, truth, size, size, options)) !== counts(once)) throw new Error(`${map}: the builds' boundary counts differ`);
  }
  for (const entry of Object.keys(perBuild[0][1])) {
    for (const [build, fns] of perBuild) {
      const cpu = process.cpuUsage();
      const ms = await medianMs(fns[entry], runs, 2);
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / (runs + 2);
      console.log(
        JSON.stringify({ map, size, classes, entry, build, tolerance_px: +once.tolerance.toFixed(2), meanF1: +once.meanF1.toFixed(3), ms_per_image: +ms.toFixed(1), cpu_ms_per_image: +cpuMs.toFixed(1) }),
      );
    }
  }
}
