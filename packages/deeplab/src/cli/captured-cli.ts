import { runCli } from './program.js';

/** Runs `seg-deeplab <argv>` in this process with its output captured (tests use it); progress is dropped. */
export async function capturedCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), progress: { isTTY: false, write: () => {} } });
  return { code, out, err };
}
