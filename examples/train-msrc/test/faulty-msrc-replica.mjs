// The run's replica (@seg/deeplab's, from the run's JSON arguments) with
// replica 1's loss throwing at its 3rd call, as a replica that runs out of
// memory or meets a bug mid-run would fail.
import { buildSegmentationReplica } from '@seg/deeplab/node';

export default async function buildFaulty(args, { index }) {
  const parts = await buildSegmentationReplica(args, { index });
  if (index !== 1) return parts;
  let calls = 0;
  return {
    ...parts,
    loss: (labels, logits) => {
      calls += 1;
      if (calls === 3) throw new Error('out of memory in the loss (injected)');
      return parts.loss(labels, logits);
    },
  };
}
