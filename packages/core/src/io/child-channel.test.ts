import { describe, expect, it } from 'vitest';
import { type ChannelEvents, openProcess } from './child-channel.js';

const echo = new URL('./fixtures/echo-child.mjs', import.meta.url);

/** Events that record what the channel reported. */
function recorder() {
  const messages: unknown[] = [];
  const failures: string[] = [];
  let onMessage = () => {};
  const events: ChannelEvents<unknown> = {
    message: (m) => {
      messages.push(m);
      onMessage();
    },
    failure: (r) => void failures.push(r),
  };
  const next = () => new Promise<void>((resolve) => (onMessage = resolve));
  return { events, messages, failures, next };
}

describe('child-process channel', () => {
  it('carries structured messages both ways (typed arrays too) and reports the pid', async () => {
    const r = recorder();
    const channel = await openProcess<unknown, { n: number; big?: number }>(echo, {}, r.events);
    expect(channel.pid).toBeGreaterThan(0);
    const got = r.next();
    channel.send({ n: 1, big: 3 });
    await got;
    expect(r.messages).toEqual([{ echo: { n: 1, big: 3 }, big: new Float32Array(3) }]);
    await channel.end('disconnect');
    // Ended by its owner: no failure is reported.
    expect(r.failures).toEqual([]);
    expect(channel.dead).toBe('ended');
  });

  it('reports a crash once, with the exit and the error line of its stderr', async () => {
    const r = recorder();
    const channel = await openProcess<unknown, { crash: string }>(echo, { env: { ...process.env, NODE_OPTIONS: '' } }, r.events);
    const failed = new Promise<void>((resolve) => {
      const failure = r.events.failure;
      r.events.failure = (reason) => {
        failure(reason);
        resolve();
      };
    });
    channel.send({ crash: 'now' });
    await failed;
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(/^exited \(code 1\): TypeError: asked to crash: now$/);
    expect(channel.dead).toBe(r.failures[0]);
    await channel.end('kill');
  });

  it('kills a child on request without reporting a failure, and resolves once it is gone', async () => {
    const r = recorder();
    const channel = await openProcess<unknown, unknown>(echo, {}, r.events);
    await channel.end('kill');
    expect(r.failures).toEqual([]);
    // Ending twice is harmless.
    await channel.end();
  });
});
