/**
 * The report's plots as vega-lite specs rendered to standalone SVG in Node:
 * no browser, no canvas, no network; the files open anywhere.
 */

/** A vega-lite spec; kept loose, vega-lite validates it. */
type Spec = Record<string, unknown>;

/** Renders a vega-lite spec to an SVG string. vega is loaded on first use: only runs that write a report pay for it. */
export async function renderSvg(spec: Spec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One point of a curve; `dense` series (one point per step) are drawn as a faint line without markers. */
export interface CurvePoint {
  step: number;
  value: number;
  series: string;
  dense?: boolean;
}

/** Keeps at most `max` evenly spaced points (the last always), so a 17,250-step curve stays a small SVG. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const stride = points.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor(i * stride)]);
  out.push(points[points.length - 1]);
  return out;
}

/** Lines over iterations, one colour per series; sparse series (validations) get a marker per point. */
export function curveSpec(title: string, yTitle: string, points: readonly CurvePoint[]): Spec {
  const values = points.filter((p) => Number.isFinite(p.value)).map((p) => ({ ...p, dense: p.dense === true }));
  const encoding = {
    x: { field: 'step', type: 'quantitative', title: 'iteration' },
    y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
    color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 } },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 240,
    background: 'white',
    data: { values },
    encoding,
    layer: [
      { transform: [{ filter: 'datum.dense' }], mark: { type: 'line', strokeWidth: 1, opacity: 0.45 } },
      { transform: [{ filter: '!datum.dense' }], mark: { type: 'line', point: { size: 22 }, strokeWidth: 2 } },
    ],
  };
}

/**
 * The confusion matrix as a heatmap: rows are the ground truth, columns the
 * prediction, each cell the share of its row (recall on the diagonal), so
 * rare classes are as readable as common ones.
 */
export function confusionSpec(title: string, names: readonly string[], counts: ArrayLike<number>): Spec {
  const n = names.length;
  const values: { truth: string; predicted: string; share: number; pixels: number }[] = [];
  for (let t = 0; t < n; t++) {
    let row = 0;
    for (let p = 0; p < n; p++) row += counts[t * n + p];
    for (let p = 0; p < n; p++) {
      values.push({ truth: names[t], predicted: names[p], share: row > 0 ? counts[t * n + p] / row : 0, pixels: counts[t * n + p] });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    data: { values },
    mark: 'rect',
    width: { step: 18 },
    height: { step: 18 },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: [...names], title: 'prediction', axis: { labelAngle: -60 } },
      y: { field: 'truth', type: 'nominal', sort: [...names], title: 'ground truth' },
      color: { field: 'share', type: 'quantitative', title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] } },
    },
  };
}
