import { describe, expect, it } from 'vitest';
import { capturedCli } from './captured-cli.js';

const cli = capturedCli;

describe('seg-deeplab arguments', () => {
  it('lists the commands and says that queue paths must be shared', async () => {
    const help = await cli('--help');
    expect(help.out).toMatch(/segment \[options\] <model> <inputs\.\.\.>[\s\S]*submit \[options\] <model> <inputs\.\.\.>[\s\S]*worker \[options\]/);
    for (const command of ['submit', 'worker']) {
      const { out } = await cli(command, '--help');
      expect(out.replace(/\s+/g, ' ')).toContain('<model>, <inputs> and <out> must be paths every worker can reach under the same names (a shared volume)');
    }
  });

  it('names a bad value and what would be right', async () => {
    const save = await cli('segment', 'm', 'in', '--out', 'o', '--save', 'labels,mask');
    expect([save.code, save.err]).toEqual([1, expect.stringContaining('unknown output kind(s) mask; choose from labels, color, overlay, scores')]);
    const scales = await cli('segment', 'm', 'in', '--out', 'o', '--scales', '1,0');
    expect(scales.err).toContain('--scales must be comma-separated positive numbers, got "1,0"');
    const backend = await cli('worker', '--queue', 'redis://h', '--backend', 'gpu');
    expect(backend.err).toMatch(/argument 'gpu' is invalid\. Allowed choices are tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    const queue = await cli('submit', 'm', 'in', '--out', 'o', '--queue', 'http://cache:6379/q');
    expect([queue.code, queue.err]).toEqual([2, 'seg-deeplab: queue URL "http://cache:6379/q" has scheme http:; expected redis://host:port[/queue-name] (rediss:// for TLS)\n']);
    const missing = await cli('segment', 'm', 'in');
    expect(missing.err).toContain("required option '--out <dir>' not specified");
    // A worker writes only inside the folders it is told (anyone who can write to the Redis can add jobs).
    const noAllow = await cli('worker', '--queue', 'redis://h');
    expect([noAllow.code, noAllow.err]).toEqual([1, expect.stringContaining("required option '--allow <roots...>' not specified")]);
  });
});
