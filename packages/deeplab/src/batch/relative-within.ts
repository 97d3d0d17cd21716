import * as path from 'node:path';

/**
 * `inner` relative to `outer` when it is `outer` (`''`) or lies below it,
 * else `undefined`. Compared as written: resolve links first where they
 * matter. The one containment test of batch inputs and queued outputs.
 */
export function relativeWithin(outer: string, inner: string): string | undefined {
  const rel = path.relative(outer, inner);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel) ? undefined : rel;
}
