import type { ProgressSink } from './progress.js';

/** Where the command line writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Where the progress bar or lines go. */
  progress: ProgressSink;
}

/** stdout, stderr, and progress on stderr (a bar on a terminal). */
export const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: { isTTY: Boolean(process.stderr.isTTY), write: (t) => process.stderr.write(t) },
};

/**
 * An AbortSignal that SIGINT and SIGTERM abort, for commands that stop
 * gracefully: the first signal asks them to finish what they hold, a second
 * one ends the process at once.
 *
 * @returns The signal and a function that removes the handlers.
 */
export function stopSignal(io: CliIo, what: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.err(`${name} again: exiting now\n`);
      process.exit(130);
    }
    io.err(`${name}: ${what}; send it again to exit now\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
