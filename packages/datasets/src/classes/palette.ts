/** An 8-bit RGB colour. */
export type Rgb = readonly [number, number, number];

/** Colours indexed by class id, as `colorize()` and index PNGs take them. */
export type Palette = readonly Rgb[];

/** A class's name and published colour. */
export interface ClassInfo {
  readonly name: string;
  readonly color: Rgb;
}
