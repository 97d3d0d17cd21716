import type { RunConfig } from '../run-config.js';

/** A table row of scores. */
export interface ScoreLine {
  label: string;
  pixelAccuracy: number;
  meanAccuracy: number;
  meanIoU: number;
}

/** Everything the page shows; paths are relative to the page. */
export interface ReportPage {
  title: string;
  status: string;
  updated: string;
  backend: string;
  config: RunConfig;
  charts: { title: string; file: string }[];
  /** Per-class IoU with void excluded, and where it was measured. */
  perClassIoU: { source: string; rows: { name: string; iou: number | null; pixels: number }[] } | null;
  test: ScoreLine[] | null;
  latestValidation: { step: number; loss: number; pixelAccuracy: number; meanIoU: number } | null;
  triptychs: { title: string; image: string; truth: string; prediction: string }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);

/** The report as one self-contained HTML page: inline CSS, no script, images and plots beside it. */
export function reportHtml(p: ReportPage): string {
  const configRows = Object.entries(p.config)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(JSON.stringify(v))}</code></td></tr>`)
    .join('\n');
  const test = p.test
    ? `<table><tr><th></th><th>global (pixel) accuracy</th><th>class-average accuracy</th><th>mIoU</th></tr>
${p.test.map((t) => `<tr><th>${esc(t.label)}</th><td>${pct(t.pixelAccuracy)}</td><td>${pct(t.meanAccuracy)}</td><td>${pct(t.meanIoU)}</td></tr>`).join('\n')}
</table>
<p class="note">The MSRC protocol reports global and class-average accuracy with void pixels excluded. mIoU: TP / (TP + FP + FN) per class, averaged over every class with a non-zero union.</p>`
    : '<p>The test split is scored when training ends.</p>';
  const iou = p.perClassIoU
    ? `<p class="note">From ${esc(p.perClassIoU.source)}, void excluded.</p>
<table><tr><th>class</th><th>IoU</th><th>ground-truth pixels</th></tr>
${p.perClassIoU.rows.map((r) => `<tr><th>${esc(r.name)}</th><td>${pct(r.iou)}</td><td>${r.pixels}</td></tr>`).join('\n')}
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
</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<p><strong>${esc(p.status)}</strong> · updated ${esc(p.updated)} · backend <code>${esc(p.backend)}</code></p>
<h2>Test</h2>
${test}
<h2>Training and validation</h2>
${latest}
<div class="charts">
${p.charts.map((c) => `<img src="${esc(c.file)}" alt="${esc(c.title)}">`).join('\n')}
</div>
<h2>Per-class IoU</h2>
${iou}
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
