/**
 * One run per folder. Two runs writing the same checkpoint and best model
 * interleave their saves, and whichever finishes last wins silently; a lock
 * file naming its holder (pid, host, start time) makes the second run stop
 * at once instead. A lock whose process is gone (SIGKILL, power loss) is
 * stale and taken over; the holder's liveness can only be checked on the
 * same host, so a lock from another host is refused with its name. A pid
 * alone is not proof of life: after a reboot or enough processes the pid is
 * reused by an unrelated program, so the lock also records the process's
 * start time and a live pid that started at another time is stale too.
 *
 * The lock file is created with `link()`, which fails if the name exists,
 * so it appears complete and only one of two racing runs gets it.
 */
import { importAtRuntime, loadNodeFs } from '../../io/runtime-import.js';

/** Who holds a run lock: the content of the lock file. */
export interface RunLockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** The holder's command line, for the message. */
  command: string;
  /** When the holder process started, as the OS tells it (see `processStartTime`); absent where it cannot be read. */
  processStart?: string;
}

/** A held lock; release it when the run ends. */
export interface RunLock {
  readonly file: string;
  readonly holder: RunLockHolder;
  /** Removes the lock file if it is still this lock's. Idempotent. */
  release(): Promise<void>;
}

/** Thrown when another live run holds the lock; names the holder. */
export class RunLockedError extends Error {
  constructor(
    readonly file: string,
    readonly holder: RunLockHolder | null,
  ) {
    super(
      holder
        ? `${file}: the folder is in use by process ${holder.pid} on ${holder.host} since ${holder.started} (${holder.command}); ` +
            'wait for it to finish or stop it, or, if that process is gone (another host cannot be checked from here), delete the lock file'
        : `${file}: the folder is locked by a run whose lock file cannot be read; if no run uses the folder, delete the lock file`,
    );
    this.name = 'RunLockedError';
  }
}

/** Name of the lock file {@link lockRunFolder} puts in a run folder. */
export const RUN_LOCK_FILE = 'run.lock';

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started, as a string that differs between two
 * processes that held the same pid: on Linux the boot id and the start time
 * in clock ticks (`/proc/<pid>/stat`, field 22); elsewhere `ps -o lstart`.
 * `undefined` when neither can be read (Windows, or the process is gone).
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const { fs } = await loadNodeFs('run lock');
  if (process.platform === 'linux') {
    try {
      const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const boot = (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      return `linux:${boot}:${fields[19]}`;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  const { spawnSync } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const started = ps.status === 0 ? ps.stdout.trim() : '';
  return started === '' ? undefined : `ps:${started}`;
}

/** Whether the lock's holder still runs: its pid exists and, where both are known, started when the lock says. */
async function isAlive(holder: RunLockHolder): Promise<boolean> {
  if (!pidExists(holder.pid)) return false;
  if (holder.processStart === undefined) return true;
  const now = await processStartTime(holder.pid);
  return now === undefined || now === holder.processStart;
}

function parseHolder(text: string): RunLockHolder | null {
  try {
    const h = JSON.parse(text) as RunLockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock file `file` for this process, taking over a stale one (its
 * process no longer runs on this host).
 *
 * @param onStale Told when a stale lock was taken over. Default: silent.
 * @throws {RunLockedError} When a live run (or a run on another host) holds it.
 */
export async function acquireRunLock(file: string, onStale?: (holder: RunLockHolder) => void): Promise<RunLock> {
  const { fs, path } = await loadNodeFs(`run lock ${file}`);
  const os = (await importAtRuntime('node:os')) as typeof import('node:os');
  const target = path.resolve(file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const holder: RunLockHolder = {
    pid: process.pid,
    host: os.hostname(),
    started: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
    processStart: await processStartTime(process.pid),
  };
  const text = `${JSON.stringify(holder)}\n`;
  const tmp = `${target}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(tmp, text);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.link(tmp, target);
        const lock: RunLock = {
          file: target,
          holder,
          async release() {
            const now = await fs.readFile(target, 'utf8').catch(() => null);
            if (now === text) await fs.rm(target, { force: true });
          },
        };
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const seen = await fs.readFile(target, 'utf8').catch(() => null);
      if (seen === null) continue; // released meanwhile
      const other = parseHolder(seen);
      // Another process on this host that is gone (or whose pid now belongs to another program); a lock of this
      // very process is another run of it, unless an earlier holder of our pid wrote it.
      const ours = other !== null && other.pid === process.pid && (other.processStart === undefined || other.processStart === holder.processStart);
      const stale = other !== null && other.host === holder.host && !ours && !(await isAlive(other));
      if (!stale) throw new RunLockedError(target, other);
      // Move the stale lock aside before deleting it, and check it is the one judged stale: a racing run may have replaced it.
      const aside = `${target}.stale-${process.pid}`;
      await fs.rename(target, aside).catch(() => undefined);
      const moved = await fs.readFile(aside, 'utf8').catch(() => null);
      if (moved !== null && moved !== seen) {
        await fs.link(aside, target).catch(() => undefined);
        await fs.rm(aside, { force: true });
        throw new RunLockedError(target, parseHolder(moved));
      }
      await fs.rm(aside, { force: true });
      onStale?.(other);
    }
    throw new RunLockedError(target, null);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Locks the run folder `dir` (creating it) with `<dir>/run.lock`: see {@link acquireRunLock}. */
export async function lockRunFolder(dir: string, onStale?: (holder: RunLockHolder) => void): Promise<RunLock> {
  const { path } = await loadNodeFs(`run lock ${dir}`);
  return acquireRunLock(path.join(dir, RUN_LOCK_FILE), onStale);
}
