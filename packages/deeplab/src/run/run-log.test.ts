import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../../../test-utils/temp-dirs.js';
import { RunLog } from './run-log.js';

const tempDir = tempDirs('seg-run-log-');
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('RunLog.dropAfter', () => {
  // What an attempt killed after logging step 3, with its last checkpoint at step 2, leaves: a last line cut short.
  const killedAttempt = [
    '{"type":"start","time":"t0","step":0,"backend":"cpu"}',
    '{"type":"step","step":1,"loss":1,"pixelAccuracy":0.1,"seconds":1}',
    '{"type":"step","step":2,"loss":0.9,"pixelAccuracy":0.2,"seconds":1}',
    '{"type":"validation","step":2,"loss":0.8,"pixelAccuracy":0.3,"meanIoU":0.1,"trainLoss":0.95,"trainPixelAccuracy":0.15}',
    '{"type":"step","step":3,"loss":0.7,"pixelAccuracy":0.4,"seconds":1}',
    '{"type":"end","time":"t1","step":3,"reason":"interrupted"}',
    '{"type":"step","step":4,"lo',
  ];

  it("drops the steps after the checkpoint and a torn last line, keeping every attempt's start and end", async () => {
    const path = join(tempDir(), 'log.jsonl');
    writeFileSync(path, `${killedAttempt.join('\n')}`);
    const log = new RunLog(path);
    await log.dropAfter(2);
    await log.write({ type: 'start', time: 't2', step: 2, backend: 'cpu' });
    expect(lines(path)).toEqual([...killedAttempt.slice(0, 4), killedAttempt[5], '{"type":"start","time":"t2","step":2,"backend":"cpu"}']);
  });

  it('leaves a log without later steps as it is, and a missing log missing', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.jsonl');
    writeFileSync(path, `${killedAttempt.slice(0, 4).join('\n')}\n`);
    await new RunLog(path).dropAfter(2);
    expect(lines(path)).toEqual(killedAttempt.slice(0, 4));
    const missing = join(dir, 'none.jsonl');
    await new RunLog(missing).dropAfter(2);
    expect(() => readFileSync(missing)).toThrow(/ENOENT/);
  });

  it('refuses a line that is not a record before the last, naming the file and line, and changes nothing', async () => {
    const path = join(tempDir(), 'log.jsonl');
    const text = `${[killedAttempt[0], 'not json', killedAttempt[4]].join('\n')}\n`;
    writeFileSync(path, text);
    await expect(new RunLog(path).dropAfter(2)).rejects.toThrow(`${path}: line 2 is not a JSON record (not json…); fix or delete it`);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});
