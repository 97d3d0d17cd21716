// The run's replica (@seg/deeplab's model, loss and pixel accuracy from the
// run's JSON arguments) with replica 1's loss throwing at its 3rd call, as a
// replica that runs out of memory or meets a bug mid-run would fail.
import { lossFrom, modelFrom, pixelAccuracyWith } from '@seg/deeplab/node';

export default async function buildFaulty({ model, loss: lossSpec }, { index }) {
  const loss = lossFrom(lossSpec);
  const parts = { model: modelFrom(model), loss, metrics: { pixelAccuracy: pixelAccuracyWith(lossSpec.ignoreIndex) } };
  if (index !== 1) return parts;
  let calls = 0;
  return {
    ...parts,
    loss: (labels, logits) => {
      calls += 1;
      if (calls === 3) throw new Error('out of memory in the loss (injected)');
      return loss(labels, logits);
    },
  };
}
