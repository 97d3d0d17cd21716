/**
 * How the trainer talks to one replica, a worker thread or a child process,
 * behind one {@link Channel}: messages in both directions, one failure
 * report however the replica dies (an error, an exit, a signal), and an
 * ending that keeps this process alive until the replica is gone.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { importAtRuntime } from '../../io/runtime-import.js';
import type { FromReplica, ToReplica } from './protocol.js';

/** What a channel reports to the pool. */
export interface ChannelEvents {
  message(m: FromReplica): void;
  /** The replica died (an uncaught error, an exit, a signal); called once, with why. */
  failure(reason: string): void;
}

/** The transport-independent handle on one replica. */
export interface Channel {
  send(msg: ToReplica): void;
  /** Whether the replica keeps this process alive: only while the trainer waits for it. */
  ref(waiting: boolean): void;
  /** Ends the replica; resolves once it has exited, keeping this process alive until then. */
  end(): Promise<void>;
  /** Why the replica is gone, once it is; `null` while it runs. */
  readonly dead: string | null;
}

/** Lines of a child's stderr kept to say why it died. */
const STDERR_LINES = 12;

/** The common part: one failure path for errors and exits, and an end that waits for the exit. */
function channel(
  events: ChannelEvents,
  send: (msg: ToReplica) => void,
  ref: (waiting: boolean) => void,
  stop: () => void,
  onExit: (listener: (how: string) => void) => void,
  onError: (listener: (e: Error) => void) => void,
  lastWords: () => string,
): Channel {
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
    ref: (waiting) => {
      // Once ending, the replica holds this process until its exit: a step that settles
      // meanwhile (rejected by the very failure that ends it) must not unref it, or a
      // trainer awaiting that exit would leave Node with nothing alive (exit code 13).
      if (!exited && !ending) ref(waiting);
    },
    get dead() {
      return dead;
    },
    async end() {
      dead ??= 'ended';
      if (exited) return;
      // A replica ended while nothing else runs must still be waited for: an unref'd
      // worker or child would let Node exit (code 13) before its exit is seen.
      ending = true;
      ref(true);
      stop();
      await exit;
    },
  };
}

/** Starts `entry` as a worker thread. */
export async function openThread(entry: URL, events: ChannelEvents): Promise<Channel> {
  const { Worker } = (await importAtRuntime('node:worker_threads')) as typeof import('node:worker_threads');
  const worker: Worker = new Worker(entry);
  worker.on('message', (m) => events.message(m as FromReplica));
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

/** Starts `entry` as a child process with `env`; its stdout and stderr go to this process's. */
export async function openProcess(entry: URL, env: NodeJS.ProcessEnv, events: ChannelEvents): Promise<Channel> {
  const { fork } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
  const child: ChildProcess = fork(entry, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // Forwarded as it comes, and its last lines kept: a child that crashes says why on stderr.
  const tail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
    tail.splice(0, Math.max(0, tail.length - STDERR_LINES));
  });
  child.on('message', (m) => events.message(m as FromReplica));
  const ipc = () => child.channel as { ref(): void; unref(): void } | null | undefined;
  return channel(
    events,
    (msg) => child.send(msg),
    (waiting) => {
      for (const handle of [child, ipc(), child.stderr as unknown as { ref?(): void; unref?(): void } | null]) {
        if (waiting) handle?.ref?.();
        else handle?.unref?.();
      }
    },
    () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
    (listener) => child.once('exit', (code, signal) => listener(signal ? `signal ${signal}` : `code ${code}`)),
    (listener) => child.on('error', listener),
    () => tail.find((l) => /^\w*Error\b|^RuntimeError|Aborted|out of memory/i.test(l.trim()))?.trim() ?? tail.at(-1)?.trim() ?? '',
  );
}
