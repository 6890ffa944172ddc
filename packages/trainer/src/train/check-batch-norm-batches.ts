/**
 * BatchNorm in training needs at least two values per channel; a batch of one
 * image at a 1x1 feature map has one. PyTorch raises mid-epoch in that case;
 * the trainer refuses the settings before any work instead.
 */
import type { ArchSpec } from '@vae/format';
import { TrainOptionsError } from './train.js';

/**
 * Checks that every training batch (`batch` images, the last one
 * `trainCount % batch`) gives each BatchNorm layer more than one value per channel.
 *
 * @throws {@link TrainOptionsError} naming the layer, the batch and how to avoid it
 */
export function checkBatchNormBatches(spec: ArchSpec, trainCount: number, batch: number): void {
  const smallestBatch = trainCount % batch || Math.min(batch, trainCount);
  for (const l of [...spec.encoder.trunk, ...spec.decoder]) {
    if ((l.kind !== 'conv2d' && l.kind !== 'conv2dTranspose') || !l.batchNorm) continue;
    const [h, w] = l.outputShape;
    if (smallestBatch * h * w < 2) {
      throw new TrainOptionsError(
        `${l.name}'s BatchNorm sees a ${h}x${w} map, so a training batch of ${smallestBatch} image gives it 1 value per channel and no variance ` +
          `(${trainCount} training images in batches of ${batch}); change --batch or --train-limit so that no batch holds a single image`,
      );
    }
  }
}
