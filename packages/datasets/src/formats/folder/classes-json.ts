import { readFile } from 'node:fs/promises';
import type { Palette, Rgb } from '../../classes/palette.js';
import { vocPalette } from '../../classes/voc-palette.js';

/** What a folder dataset's `classes.json` declares. */
export interface FolderClasses {
  names: string[];
  /** The class colours of colour-coded masks, or `null` when only names were given (index masks). */
  colors: Rgb[] | null;
  palette: Palette;
  ignoreIndex: number;
}

const DEFAULT_IGNORE = 255;

function isRgb(v: unknown): v is Rgb {
  return Array.isArray(v) && v.length === 3 && v.every((c) => Number.isInteger(c) && c >= 0 && c <= 255);
}

/**
 * Reads `classes.json`: `["name", …]` (index masks), `[{ "name", "color": [r, g, b] }, …]`
 * (index or colour masks), or `{ "classes": <either>, "ignoreIndex": n }` to
 * move the ignored value from 255.
 *
 * @throws Naming the file and the entry that is malformed.
 */
export async function readFolderClasses(file: string): Promise<FolderClasses> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'missing; a folder dataset names its classes in classes.json (["background", "road", …])' : `not readable JSON (${message})`}`);
  }
  const wrapped = json !== null && typeof json === 'object' && !Array.isArray(json);
  const list = wrapped ? (json as { classes?: unknown }).classes : json;
  const ignoreIndex = wrapped ? ((json as { ignoreIndex?: unknown }).ignoreIndex ?? DEFAULT_IGNORE) : DEFAULT_IGNORE;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${file}: expected a non-empty list of class names or { "name", "color" } objects`);
  if (!Number.isInteger(ignoreIndex) || (ignoreIndex as number) < list.length || (ignoreIndex as number) > 255) {
    throw new Error(`${file}: ignoreIndex ${JSON.stringify(ignoreIndex)} must be an integer from ${list.length} (the class count) to 255`);
  }
  const names: string[] = [];
  const colors: Rgb[] = [];
  list.forEach((entry: unknown, i) => {
    if (typeof entry === 'string') {
      names.push(entry);
      return;
    }
    const { name, color } = (entry ?? {}) as { name?: unknown; color?: unknown };
    if (typeof name !== 'string' || !isRgb(color)) {
      throw new Error(`${file}: entry ${i} is ${JSON.stringify(entry)}; expected a name or { "name": string, "color": [r, g, b] } with 0..255 channels`);
    }
    names.push(name);
    colors.push([color[0], color[1], color[2]]);
  });
  if (colors.length !== 0 && colors.length !== names.length) throw new Error(`${file}: give every class a colour or none`);
  return { names, colors: colors.length ? colors : null, palette: colors.length ? colors : vocPalette(names.length), ignoreIndex: ignoreIndex as number };
}
