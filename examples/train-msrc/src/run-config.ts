import { readFile } from 'node:fs/promises';
import { asppRatesFor } from '@seg/core';
import { MSRC_CLASSES } from '@seg/msrc';
import type { TrainMsrcOptions } from './options.js';
import { REFERENCE_CLASS_WEIGHTS } from './presets.js';

/**
 * A run's fully resolved configuration: every option under its flag's name,
 * with the preset applied, `asppRates` filled in for the output stride and
 * `classWeights` as the numbers the loss uses (`null`: unweighted).
 * `--print-config` prints it; every run writes it to `<out>/config.json`.
 */
export type RunConfig = Omit<TrainMsrcOptions, 'asppRates' | 'classWeights' | 'printConfig'> & {
  asppRates: [number, number, number];
  classWeights: number[] | null;
  /** Where `classWeights` came from: `reference`, `none` or the file. */
  classWeightsFrom: string;
};

/** Reads a class-weights JSON file: an array with one non-negative number per MSRC class, void last. */
async function readClassWeights(file: string): Promise<number[]> {
  const fix = `write ${MSRC_CLASSES.length} non-negative numbers, one per class in MSRC id order (void last), e.g. [1, 1, ..., 0.5]`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`--classWeights ${file}: ${(e as Error).message}; ${fix}`);
  }
  if (!Array.isArray(parsed) || parsed.length !== MSRC_CLASSES.length) {
    throw new Error(`--classWeights ${file}: expected an array of ${MSRC_CLASSES.length} weights, got ${Array.isArray(parsed) ? `${parsed.length} entries` : typeof parsed}; ${fix}`);
  }
  const bad = parsed.findIndex((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0);
  if (bad >= 0) throw new Error(`--classWeights ${file}: entry ${bad} (${MSRC_CLASSES[bad].name}) is ${JSON.stringify(parsed[bad])}; ${fix}`);
  return parsed as number[];
}

/** Resolves what the options leave open: the ASPP rates for the output stride and the class weights. */
export async function resolveRunConfig(options: TrainMsrcOptions): Promise<RunConfig> {
  const { printConfig: _omit, ...rest } = options;
  const from = options.classWeights;
  const classWeights = from === 'none' ? null : from === 'reference' ? [...REFERENCE_CLASS_WEIGHTS] : await readClassWeights(from);
  return {
    ...rest,
    asppRates: options.asppRates ?? asppRatesFor(options.outputStride),
    classWeights,
    classWeightsFrom: from,
  };
}

/** The configuration as `--print-config` prints it and `config.json` holds it. */
export function runConfigJson(config: RunConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
