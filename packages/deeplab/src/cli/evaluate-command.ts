import { ConfusionMatrix, selectBackend, writeFileAtomic } from '@seg/core';
import { DATASET_FORMATS, type DatasetFormat, openDataset } from '@seg/datasets';
import { Command, Option } from 'commander';
import { loadBatchSegmenter } from '../batch/segmenter-loader.js';
import { perClassTable, summaryScores } from '../run/split-scores.js';
import { backendOption } from './options.js';
import type { CommandContext } from './segment-command.js';

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '     –' : `${(100 * v).toFixed(1).padStart(5)}%`);

/**
 * `seg-deeplab evaluate <model|.onnx> --data <root> --format <f> [--split val]`:
 * segments every image of the split, prints the summary, the per-class table
 * and the confusion matrix, and writes them as JSON (`--out`).
 */
export function evaluateCommand(ctx: CommandContext): Command {
  return new Command('evaluate')
    .summary('score a model on a dataset split: per-class table and confusion matrix')
    .description('score a saved model folder or an .onnx file on a split of a dataset in a standard layout; prints the per-class table and the confusion matrix and writes them as JSON')
    .argument('<model>', 'a saved model folder (model.json + weight shards), or an .onnx file (ONNX Runtime)')
    .requiredOption('--data <root>', 'dataset root')
    .addOption(new Option('--format <format>', 'dataset layout').choices(DATASET_FORMATS).makeOptionMandatory())
    .option('--split <name>', 'split to score', 'val')
    .option('--out <file.json>', 'where the scores and the confusion matrix are written', 'evaluation.json')
    .addOption(backendOption().default(undefined, 'cpu or wasm'))
    .action(async (source: string, flags: { data: string; format: DatasetFormat; split: string; out: string; backend?: never }) => {
      const data = await openDataset(flags.data, { format: flags.format });
      const split = data.split(flags.split);
      if (split.size === 0) throw new Error(`--split ${flags.split}: the split lists no images (${split.source})`);
      if (!/\.onnx$/i.test(source)) await selectBackend(flags.backend ? [flags.backend] : ['cpu', 'wasm']);
      const { segmenter, classes } = await loadBatchSegmenter(source);
      try {
        const names = data.classes;
        if (classes && classes.length !== names.length) {
          throw new Error(`${source} predicts ${classes.length} classes (${classes.map((c) => c.name).join(', ')}), the ${data.format} dataset has ${names.length}; evaluate it on the dataset it was trained for`);
        }
        const confusion = new ConfusionMatrix(names.length, { ignoreIndex: data.ignoreIndex });
        for (let i = 0; i < split.size; i++) {
          const sample = await split.get(i);
          const { labels } = await segmenter.segment({ data: sample.image.data, width: sample.image.width, height: sample.image.height, channels: 3 });
          confusion.update(labels, sample.labels);
        }
        const summary = summaryScores(confusion.scores());
        const perClass = perClassTable(confusion, undefined, { classNames: names });
        const n = names.length;
        const counts = Array.from({ length: n }, (_, t) => Array.from(confusion.counts.subarray(t * n, (t + 1) * n)));
        const report = {
          model: source,
          data: data.root,
          format: data.format,
          split: flags.split,
          images: split.size,
          ...summary,
          perClassIoU: Object.fromEntries(Object.entries(perClass).filter(([, r]) => r.iou !== null).map(([name, r]) => [name, r.iou])),
          perClass,
          confusionMatrix: { rows: 'ground truth', columns: 'prediction', classes: names, counts },
        };
        await writeFileAtomic(flags.out, `${JSON.stringify(report, null, 2)}\n`);
        const width = Math.max(5, ...names.map((c) => c.length));
        const lines = [
          `${source} on ${data.format} ${flags.split} (${split.size} images): mIoU ${pct(summary.meanIoU).trim()}, pixel accuracy ${pct(summary.pixelAccuracy).trim()}, mean accuracy ${pct(summary.meanAccuracy).trim()}`,
          '',
          `${'class'.padEnd(width)}     IoU  precision  recall      F1   pixels`,
          ...Object.entries(perClass).map(([name, r]) => `${name.padEnd(width)}  ${pct(r.iou)}     ${pct(r.precision)}  ${pct(r.recall)}  ${pct(r.f1)}  ${r.pixels}`),
          '',
          'confusion matrix (rows: ground truth, columns: prediction; pixels)',
          `${''.padEnd(width + 2)}${names.map((_, i) => String(i).padStart(8)).join('')}`,
          ...counts.map((row, t) => `${`${t} ${names[t]}`.padEnd(width + 2).slice(0, width + 2)}${row.map((c) => String(c).padStart(8)).join('')}`),
          '',
          `wrote ${flags.out}`,
        ];
        ctx.io.out(`${lines.join('\n')}\n`);
      } finally {
        await segmenter.dispose();
      }
    });
}
