/**
 * Child processes for tests that start commands and wait on what they print
 * or on a condition, each wait bounded by a timeout that names what was awaited.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr lines so far, in arrival order. */
  lines: string[];
  /** stdout alone. */
  stdout(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** The first line (so far or later) matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * Runs `node <args>`, collecting its output. With `timeoutMs`, a process
 * still running then is killed with SIGKILL (`exited` gives `'SIGKILL'`):
 * a test of something that used to hang fails fast instead of hanging too.
 */
export function spawnNode(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Spawned {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  });
  const lines: string[] = [];
  let out = '';
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  const take = (stream: NodeJS.ReadableStream, isStdout: boolean) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (isStdout) out += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
  };
  take(child.stdout!, true);
  take(child.stderr!, false);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    lines,
    stdout: () => out,
    exited,
    line(pattern, timeoutMs = 30_000) {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output so far:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** Resolves once `condition` holds, checking every `everyMs`; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
