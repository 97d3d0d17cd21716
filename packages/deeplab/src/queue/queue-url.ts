/** Queue name when the URL has no path. */
export const DEFAULT_QUEUE_NAME = 'seg-deeplab';

/** Where a queue lives: the Redis server and the queue's name. */
export interface QueueAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Redis database number (`?db=N`). Default 0. */
  db: number;
  /** `rediss://`: connect with TLS. */
  tls: boolean;
  /** The BullMQ queue name. */
  name: string;
  /** The URL without its password, for messages. */
  display: string;
}

/**
 * Parses `redis://[user:password@]host:port[/queue-name][?db=N]` (or
 * `rediss://` for TLS). The path names the queue, not a database as in
 * plain Redis URLs; the database goes in `?db=`.
 *
 * @throws Naming the URL and what is wrong with it.
 */
export function parseQueueUrl(text: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`queue URL "${text}" is not a URL; expected redis://host:port[/queue-name]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`queue URL "${text}" has scheme ${url.protocol}; expected redis://host:port[/queue-name] (rediss:// for TLS)`);
  }
  if (url.hostname === '') throw new Error(`queue URL "${text}" has no host; expected redis://host:port[/queue-name]`);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '').replace(/\/$/, '')) || DEFAULT_QUEUE_NAME;
  if (name.includes('/') || name.includes(':')) throw new Error(`queue URL "${text}": queue name "${name}" may not contain "/" or ":"`);
  const db = Number(url.searchParams.get('db') ?? 0);
  if (!Number.isInteger(db) || db < 0) throw new Error(`queue URL "${text}": db=${url.searchParams.get('db')} is not a database number`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const safe = new URL(url.href);
  if (safe.password) safe.password = '***';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:',
    name,
    display: safe.href,
  };
}
