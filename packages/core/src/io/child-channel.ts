/**
 * The one channel to a worker thread or child process of @seg: the trainer's
 * data-parallel replicas and `@seg/deeplab`'s segmentation workers talk to
 * theirs through it. Messages in both directions, one failure report however
 * the worker dies (an error, an exit, a signal, with the last words of its
 * stderr), and an ending that keeps this process alive until the worker is
 * gone.
 *
 * @module
 */
import type { ChildProcess, Serializable } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { importAtRuntime } from './runtime-import.js';

/** What a channel reports to its owner; `In` is what the worker sends. */
export interface ChannelEvents<In> {
  message(m: In): void;
  /** The worker died (an uncaught error, an exit, a signal); called once, with why (`exited (code 1): <its last error line>`). */
  failure(reason: string): void;
}

/** How {@link Channel.end} ends the worker. */
export type ChannelEnd =
  /** Stop it now (a child: `SIGTERM`; a thread: `terminate()`). */
  | 'stop'
  /** Kill a child with `SIGKILL` (a thread: `terminate()`). */
  | 'kill'
  /** Close its IPC channel and let it exit by itself, after its own work (a thread: `terminate()`). */
  | 'disconnect';

/** The transport-independent handle on one worker; `Out` is what it is sent. */
export interface Channel<Out> {
  send(msg: Out): void;
  /** Whether the worker keeps this process alive (the trainer: only while it waits for a replica). Default: it does. */
  ref(waiting: boolean): void;
  /** Ends the worker; resolves once it has exited, keeping this process alive until then. Default `'stop'`. */
  end(how?: ChannelEnd): Promise<void>;
  /** Why the worker is gone, once it is; `null` while it runs. */
  readonly dead: string | null;
  /** The child's process id (`undefined` for a thread). */
  readonly pid?: number;
}

/** Options of `openProcess`. */
export interface ProcessChannelOptions {
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Lines of a child's stderr kept to say why it died. */
const STDERR_LINES = 12;

/** The common part: one failure path for errors and exits, and an end that waits for the exit. */
function channel<In, Out>(
  events: ChannelEvents<In>,
  send: (msg: Out) => void,
  ref: (waiting: boolean) => void,
  stop: (how: ChannelEnd) => void,
  onExit: (listener: (how: string) => void) => void,
  onError: (listener: (e: Error) => void) => void,
  lastWords: () => string,
  pid?: number,
): Channel<Out> {
  let dead: string | null = null;
  let exited = false;
  let ending = false;
  let resolveExit: () => void = () => {};
  const exit = new Promise<void>((r) => {
    resolveExit = r;
  });
  const die = (reason: string) => {
    if (dead !== null) return;
    dead = reason;
    events.failure(reason);
  };
  onError((e) => die(e.message));
  onExit((how) => {
    exited = true;
    ref(false);
    resolveExit();
    const words = lastWords();
    die(`exited (${how})${words ? `: ${words}` : ''}`);
  });
  return {
    send,
    pid,
    ref: (waiting) => {
      // Once ending, the replica holds this process until its exit: a step that settles
      // meanwhile (rejected by the very failure that ends it) must not unref it, or a
      // trainer awaiting that exit would leave Node with nothing alive (exit code 13).
      if (!exited && !ending) ref(waiting);
    },
    get dead() {
      return dead;
    },
    async end(how = 'stop') {
      dead ??= 'ended';
      if (exited) return;
      // A worker ended while nothing else runs must still be waited for: an unref'd
      // worker or child would let Node exit (code 13) before its exit is seen.
      ending = true;
      ref(true);
      stop(how);
      await exit;
    },
  };
}

/** Starts `entry` as a worker thread. */
export async function openThread<In, Out>(entry: URL, events: ChannelEvents<In>): Promise<Channel<Out>> {
  const { Worker } = (await importAtRuntime('node:worker_threads')) as typeof import('node:worker_threads');
  const worker: Worker = new Worker(entry);
  worker.on('message', (m) => events.message(m as In));
  return channel(
    events,
    (msg) => worker.postMessage(msg),
    (waiting) => (waiting ? worker.ref() : worker.unref()),
    () => void worker.terminate(),
    (listener) => worker.once('exit', (code) => listener(`code ${code}`)),
    (listener) => worker.on('error', listener),
    () => '',
  );
}

/**
 * Starts `entry` as a child process (structured-clone messages); its stdout
 * and stderr go to this process's.
 *
 * @internal Shared with `@seg/deeplab`'s workers; not part of the public API.
 */
export async function openProcess<In, Out>(entry: URL | string, options: ProcessChannelOptions, events: ChannelEvents<In>): Promise<Channel<Out>> {
  const { fork } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
  const env = options.env ?? process.env;
  const child: ChildProcess = fork(entry, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // Forwarded as it comes, and its last lines kept: a child that crashes says why on stderr.
  const tail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
    tail.splice(0, Math.max(0, tail.length - STDERR_LINES));
  });
  child.on('message', (m) => events.message(m as In));
  const ipc = () => child.channel as { ref(): void; unref(): void } | null | undefined;
  return channel(
    events,
    (msg) => child.send(msg as Serializable),
    (waiting) => {
      for (const handle of [child, ipc(), child.stderr as unknown as { ref?(): void; unref?(): void } | null]) {
        if (waiting) handle?.ref?.();
        else handle?.unref?.();
      }
    },
    (how) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (how === 'disconnect') {
        if (child.connected) child.disconnect();
      } else child.kill(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
    },
    (listener) => child.once('exit', (code, signal) => listener(signal ? `signal ${signal}` : `code ${code}`)),
    (listener) => child.on('error', listener),
    () => tail.find((l) => /^\w*Error\b|^RuntimeError|Aborted|out of memory/i.test(l.trim()))?.trim() ?? tail.at(-1)?.trim() ?? '',
    child.pid,
  );
}
