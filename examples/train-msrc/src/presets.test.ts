import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRng } from '@seg/core';
import { DEFAULT_DECODER_CHANNELS, DEFAULT_LOW_LEVEL_CHANNELS } from '@seg/deeplab';
import { MSRC_VOID } from '@seg/msrc';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainMsrcArgs } from './args.js';
import { paperAugmentation, REFERENCE_AUGMENTATION, referenceAugmentation } from './augment.js';
import { refuseRandomFrozenTrunk, validateOptions } from './options.js';
import { resolveRunConfig } from './run-config.js';

interface Setting {
  key: string;
  value: unknown;
  source: string;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/original-settings.json', import.meta.url), 'utf8')) as {
  settings: Setting[];
  augmentation: Setting[];
};
const dir = mkdtempSync(join(tmpdir(), 'seg-presets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--preset reference', () => {
  it.each(fixture.settings.map((s) => [s.key, s] as const))('%s is the original run’s value', async (key, setting) => {
    const config = await resolveRunConfig(parseTrainMsrcArgs(['--data', '/d']));
    expect(config.preset).toBe('reference');
    // The run leaves the channel widths at @seg/deeplab's defaults.
    const widths: Record<string, number> = { lowLevelChannels: DEFAULT_LOW_LEVEL_CHANNELS, decoderChannels: config.decoderChannels ?? DEFAULT_DECODER_CHANNELS };
    const value = key in widths ? widths[key] : config[key as keyof typeof config];
    expect(value, setting.source).toEqual(setting.value);
  });

  it.each(fixture.augmentation.map((s) => [s.key, s] as const))('augmentation %s is the original run’s value', (key, setting) => {
    expect(REFERENCE_AUGMENTATION[key as keyof typeof REFERENCE_AUGMENTATION], setting.source).toBe(setting.value);
  });

  it('the reference augmentation gives cropSize squares and brings no void into void-free MSRC-sized images', () => {
    const aug = referenceAugmentation(192);
    for (const [w, h] of [[320, 213], [213, 320]]) {
      const image = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7) % 251), width: w, height: h };
      const labels = Uint8Array.from({ length: w * h }, (_, i) => Math.floor((i % w) / 40) % MSRC_VOID);
      for (let seed = 0; seed < 24; seed++) {
        const out = aug({ image, labels }, SeededRng.derive(5, seed));
        expect([out.image.width, out.image.height]).toEqual([192, 192]);
        expect(out.labels.includes(MSRC_VOID)).toBe(false);
      }
    }
  });
});

describe('--preset paper and overrides', () => {
  it('the paper augmentation scales by 0.5–2 and pads a smaller result with void to the crop', () => {
    const [w, h] = [100, 60];
    const image = { data: new Uint8Array(w * h * 3).fill(90), width: w, height: h };
    const labels = new Uint8Array(w * h).fill(3);
    let padded = 0;
    for (let seed = 0; seed < 16; seed++) {
      const out = paperAugmentation(96)({ image, labels }, SeededRng.derive(2, seed));
      expect([out.image.width, out.image.height]).toEqual([96, 96]);
      // A 60 px side stays under 96 unless the scale exceeds 1.6: those crops are padded with void.
      if (out.labels.includes(MSRC_VOID)) padded++;
      expect(out.labels.every((l) => l === 3 || l === MSRC_VOID)).toBe(true);
    }
    expect(padded).toBeGreaterThan(0);
  });

  it('paper: the paper’s ASPP rates for the output stride, no branch or decoder dropout, no class weights', async () => {
    const os8 = await resolveRunConfig(parseTrainMsrcArgs(['--data', '/d', '--preset', 'paper']));
    expect(os8).toMatchObject({ asppRates: [12, 24, 36], asppBranchDropout: 0, decoderDropout: [0, 0, 0], classWeights: null, asppBias: false });
    const os16 = await resolveRunConfig(parseTrainMsrcArgs(['--data', '/d', '--preset', 'paper', '--outputStride', '16']));
    expect(os16.asppRates).toEqual([6, 12, 18]);
  });

  it('any flag overrides the preset', async () => {
    const o = parseTrainMsrcArgs([
      '--data', '/d', '--preset', 'paper', '--asppRates', '3,6,9', '--learningRateAspp', '0.01', '--spatialDropout',
      '--decoderDropout', '0.1,0.2,0.3', '--patience', '7', '--iterations', '100', '--classWeights', 'reference',
    ]);
    expect(o).toMatchObject({ preset: 'paper', asppRates: [3, 6, 9], learningRateAspp: 0.01, spatialDropout: true, decoderDropout: [0.1, 0.2, 0.3], patience: 7, iterations: 100 });
    expect(o.asppBias).toBe(false);
    expect(parseTrainMsrcArgs(['--data', '/d', '--no-asppBias']).asppBias).toBe(false);
    expect(parseTrainMsrcArgs(['--data', '/d', '--patience', 'none']).patience).toBeNull();
    expect((await resolveRunConfig(o)).classWeights).toHaveLength(22);
  });

  it('rejects malformed preset flags, naming them', () => {
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--preset', 'fast'])).toThrow(/--preset.*reference, paper/);
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--asppRates', '4,8'])).toThrow(/--asppRates.*three comma-separated values such as 4,8,14, got "4,8"/);
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--decoderDropout', '0.5,1,0'])).toThrow(/--decoderDropout.*rate in \[0, 1\), got "1"/);
  });

  it("offers the packages' own choices: DeepLabV3+'s backbones and output strides, the Node backends", () => {
    expect(parseTrainMsrcArgs(['--data', '/d', '--backbone', 'resnet34', '--outputStride', '16', '--backend', 'tensorflow-gpu'])).toMatchObject({
      backbone: 'resnet34',
      outputStride: 16,
      backend: 'tensorflow-gpu',
    });
    const allowed = (flag: string, value: string) => () => parseTrainMsrcArgs(['--data', '/d', flag, value]);
    expect(allowed('--backbone', 'resnet152')).toThrow(/Allowed choices are resnet18, resnet34, resnet50, resnet101, mobilenet_v3_large\.$/);
    expect(allowed('--outputStride', '32')).toThrow(/Allowed choices are 8, 16\.$/);
    // webgl runs in browsers only.
    expect(allowed('--backend', 'webgl')).toThrow(/Allowed choices are tensorflow-gpu, webgpu, tensorflow, wasm, cpu\.$/);
    expect(() => validateOptions(parseTrainMsrcArgs(['--data', '/d', '--cropSize', '31']))).toThrow(
      "--cropSize must be at least 32 (DeepLabV3+'s smallest input), got 31",
    );
  });

  it('--classWeights <file.json>: one weight per class, errors name the file, the entry and the fix', async () => {
    const good = join(dir, 'weights.json');
    writeFileSync(good, JSON.stringify(Array.from({ length: 22 }, (_, i) => (i === MSRC_VOID ? 0 : 1))));
    expect((await resolveRunConfig(parseTrainMsrcArgs(['--data', '/d', '--classWeights', good]))).classWeights).toEqual([...Array(21).fill(1), 0]);
    const short = join(dir, 'short.json');
    writeFileSync(short, '[1, 2]');
    await expect(resolveRunConfig(parseTrainMsrcArgs(['--data', '/d', '--classWeights', short]))).rejects.toThrow(
      /--classWeights .*short\.json: expected an array of 22 weights, got 2 entries; write 22 non-negative numbers/,
    );
    const negative = join(dir, 'negative.json');
    writeFileSync(negative, JSON.stringify([1, 1, -1, ...Array(19).fill(1)]));
    await expect(resolveRunConfig(parseTrainMsrcArgs(['--data', '/d', '--classWeights', negative]))).rejects.toThrow(/entry 2 \(tree\) is -1/);
  });
});

describe('the command line', () => {
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const tsconfig = fileURLToPath(new URL('../../../tsconfig.tests.json', import.meta.url));
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, INIT_CWD: dir },
      timeout: 60_000,
    });

  it('--print-config prints the resolved configuration as JSON and exits 0', () => {
    const r = run(['--', '--data', 'msrc', '--print-config', '--batchSize', '4']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed).toMatchObject({ batchSize: 4, cropSize: 192, iterations: 17250, asppRates: [4, 8, 14], preset: 'reference', data: join(dir, 'msrc') });
    for (const key of ['learningRateTrunk', 'learningRateAspp', 'learningRateDecoder', 'weightDecay', 'classWeights', 'backbone', 'outputStride']) {
      expect(printed).toHaveProperty(key);
    }
  });

  it('refuses a frozen trunk of random weights before training, naming --trunkWeights and --trainTrunk', () => {
    const r = run(['--data', join(dir, 'nowhere'), '--out', join(dir, 'refused')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/frozen at random weights: pass --trunkWeights .* or --trainTrunk/);
    expect(() => refuseRandomFrozenTrunk({ trainTrunk: true })).not.toThrow();
    expect(() => refuseRandomFrozenTrunk({ trainTrunk: false, trunkWeights: 'w.safetensors' })).not.toThrow();
  });
});
