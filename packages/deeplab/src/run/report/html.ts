import type { ClassScores, SummaryScores } from '../split-scores.js';

/** A table row of scores. */
export interface ScoreLine extends SummaryScores {
  label: string;
}

/** Everything the page shows; paths are relative to the page. */
export interface ReportPage {
  title: string;
  status: string;
  updated: string;
  backend: string;
  config: Record<string, unknown>;
  charts: { title: string; file: string }[];
  /** The per-class table (the `excluded` classes left out), and where it was measured. */
  perClass: { source: string; excluded: string[]; rows: ({ name: string; color?: readonly [number, number, number] } & ClassScores)[] } | null;
  /** The scores of the split evaluated at the end, and its name. */
  test: { split: string; lines: ScoreLine[] } | null;
  latestValidation: { step: number; loss: number; pixelAccuracy: number; meanIoU: number } | null;
  triptychs: { title: string; image: string; truth: string; prediction: string }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);

/** A square in the class's colour, as its label maps are painted. */
const swatch = (c: readonly [number, number, number] | undefined) => (c ? `<span class="swatch" style="background: rgb(${c.join(', ')})"></span>` : '');

/** The report as one self-contained HTML page: inline CSS, no script, images and plots beside it. */
export function reportHtml(p: ReportPage): string {
  const configRows = Object.entries(p.config)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(JSON.stringify(v))}</code></td></tr>`)
    .join('\n');
  const test = p.test
    ? `<table><tr><th></th><th>global (pixel) accuracy</th><th>class-average accuracy</th><th>mIoU</th><th>fwIoU</th><th>mean F1</th><th>boundary F1</th></tr>
${p.test.lines
  .map(
    (t) =>
      `<tr><th>${esc(t.label)}</th>${[t.pixelAccuracy, t.meanAccuracy, t.meanIoU, t.frequencyWeightedIoU, t.meanF1, t.boundaryF1].map((v) => `<td>${pct(v)}</td>`).join('')}</tr>`,
  )
  .join('\n')}
</table>
<p class="note">${p.test.lines.length > 1 ? 'The MSRC protocol reports global and class-average accuracy with void pixels excluded. ' : ''}mIoU: TP / (TP + FP + FN) per class, averaged over every class with a non-zero union; fwIoU weighs each class's IoU by its share of the ground-truth pixels; F1 (Dice) is 2·TP / (2·TP + FP + FN); boundary F1 scores each class's edges within 0.75 % of the image diagonal (Csurka et al. 2013), excluded and ignored pixels removed, counts pooled over the split.</p>`
    : '<p>The evaluated split is scored when training ends.</p>';
  const perClass = p.perClass
    ? `<p class="note">From ${esc(p.perClass.source)}${p.perClass.excluded.length ? `, ${esc(p.perClass.excluded.join(', '))} excluded` : ''}. Precision TP / (TP + FP), recall TP / (TP + FN), F1 (Dice) 2·TP / (2·TP + FP + FN); pixel share: the class's share of the ground-truth pixels. – marks an undefined score (no such pixel to divide by).</p>
<table><tr><th>class</th><th>colour</th><th>IoU</th><th>precision</th><th>recall</th><th>F1</th><th>boundary F1</th><th>pixel share</th><th>ground-truth pixels</th></tr>
${p.perClass.rows
  .map((r) => `<tr><th>${esc(r.name)}</th><td>${swatch(r.color)}</td>${[r.iou, r.precision, r.recall, r.f1, r.boundaryF1, r.pixelShare].map((v) => `<td>${pct(v)}</td>`).join('')}<td>${r.pixels}</td></tr>`)
  .join('\n')}
</table>`
    : '<p>No validation yet.</p>';
  const latest = p.latestValidation
    ? `<p>Latest validation (iteration ${p.latestValidation.step}): loss ${p.latestValidation.loss.toFixed(4)}, pixel accuracy ${pct(p.latestValidation.pixelAccuracy)}, mIoU ${pct(p.latestValidation.meanIoU)}.</p>`
    : '';
  const triptychs = p.triptychs.length
    ? `<table class="triptych"><tr><th></th><th>input</th><th>ground truth</th><th>prediction</th></tr>
${p.triptychs
  .map((t) => `<tr><th>${esc(t.title)}</th>${[t.image, t.truth, t.prediction].map((f) => `<td><img src="${esc(f)}" alt=""></td>`).join('')}</tr>`)
  .join('\n')}
</table>`
    : '<p>No images yet.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(p.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td code { white-space: pre-wrap; word-break: break-all; }
.note { color: #555; font-size: 0.9em; }
.charts img { display: block; margin: 0.5em 0 1.5em; max-width: 100%; }
.triptych img { width: 200px; image-rendering: pixelated; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; border: 1px solid #888; }
</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p><strong>${esc(p.status)}</strong> · updated ${esc(p.updated)} · backend <code>${esc(p.backend)}</code></p>
<h2>${p.test ? `Evaluation: the ${esc(p.test.split)} split` : 'Evaluation'}</h2>
${test}
<h2>Training and validation</h2>
${latest}
<div class="charts">
${p.charts.map((c) => `<img src="${esc(c.file)}" alt="${esc(c.title)}">`).join('\n')}
</div>
<h2>Per-class scores</h2>
${perClass}
<h2>Images</h2>
${triptychs}
<h2>Configuration</h2>
<table>
${configRows}
</table>
</body>
</html>
`;
}
