/** A throwaway redis-server for a test file or a benchmark (see redis-server.mjs). */
export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>/<queue>`. */
  url(queue: string): string;
  /** Sends one command (inline protocol) and returns Redis's first reply line. */
  command(text: string): Promise<string>;
  /** Saves, stops and starts Redis again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops Redis (if running) and removes its folder. */
  stop(): Promise<void>;
}

/** Starts Debian's redis-server on a free loopback port with persistence off; stop it when done. */
export function startRedis(): Promise<TestRedis>;

/** What to install where redis-server is missing (Debian's redis-server package). */
export const REDIS_SERVER_PACKAGE: string;

/** Why redis-server cannot run here, or `undefined` when it can. */
export function redisServerMissing(): Promise<string | undefined>;
