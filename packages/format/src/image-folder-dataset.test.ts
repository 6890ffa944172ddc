import { describe, expect, it } from 'vitest';
import { imageFolderPreparation } from './image-folder-dataset.js';

describe('imageFolderPreparation', () => {
  it("reads an image-folder run's name, crop and background, naming the folder and never its full path", () => {
    const spec = 'image-folder:' + JSON.stringify({ dir: '/home/me/.cache/vae/celeba/img_align_celeba', crop: 148, background: '#000000', grey: false, testFraction: 0.1, labels: null });
    expect(imageFolderPreparation(spec)).toEqual({ name: 'img_align_celeba', crop: 148, background: '#000000' });
  });

  it('gives null for IDX datasets and for damaged specs, whose settings a published manifest must not repeat', () => {
    expect(imageFolderPreparation('mnist')).toBeNull();
    expect(imageFolderPreparation('/data/idx')).toBeNull();
    expect(imageFolderPreparation('image-folder:{not json')).toBeNull();
    expect(imageFolderPreparation('image-folder:' + JSON.stringify({ dir: '/d', crop: -3, background: '#ffffff' }))).toBeNull();
    expect(imageFolderPreparation('image-folder:' + JSON.stringify({ dir: '/d', crop: null, background: 'white' }))).toBeNull();
  });
});
