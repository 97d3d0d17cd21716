import { join } from 'node:path';
import type { DatasetProblem } from '../dataset.js';
import { filesEndingWith, readIdList } from './files.js';
import type { ListedSplit } from './format-layout.js';

/** Where a split's samples live when split files list them by id. */
export interface IdListedFiles {
  imageOf(id: string): string;
  maskOf(id: string): string;
}

/**
 * Reads every `*.txt` split file in `dir` (VOC's `ImageSets/Segmentation/`,
 * a folder dataset's `splits/`) into splits named by the file stem, in name
 * order; a file that cannot be read becomes a `bad-split-file` problem.
 */
export async function listSplitFiles(dir: string, files: IdListedFiles, problems: DatasetProblem[]): Promise<ListedSplit[]> {
  const splits: ListedSplit[] = [];
  for (const name of await filesEndingWith(dir, '.txt')) {
    const source = join(dir, name);
    try {
      const ids = await readIdList(source);
      splits.push({
        name: name.slice(0, -4),
        source,
        samples: ids.map(({ id, line }) => ({ id, image: files.imageOf(id), mask: files.maskOf(id), listedAt: `${source}:${line}` })),
      });
    } catch (e) {
      problems.push({ kind: 'bad-split-file', file: source, message: (e as Error).message });
    }
  }
  return splits;
}
