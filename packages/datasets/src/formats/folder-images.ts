import { join } from 'node:path';
import { filesEndingWith } from './files.js';
import type { ListedSplit } from './format-layout.js';

/**
 * A split whose images are the `imageSuffix` files of one folder and whose
 * masks are the same stems in another (ADE20K, COCO-Stuff), in name order.
 */
export async function listImageFolder(name: string, images: string, masks: string, imageSuffix: string, maskSuffix: string): Promise<ListedSplit> {
  const files = await filesEndingWith(images, imageSuffix);
  return {
    name,
    source: images,
    samples: files.map((file) => {
      const id = file.slice(0, -imageSuffix.length);
      return { id, image: join(images, file), mask: join(masks, `${id}${maskSuffix}`), listedAt: images };
    }),
  };
}
