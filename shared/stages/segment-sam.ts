/**
 * segment: a SAM-family image encoder once per image (by `prepare`, only when masks are asked for),
 * then the prompt-encoder/mask-decoder for the image's boxes. Two decoder contracts, told apart by
 * the manifest's input names:
 *  A (official export, `point_coords`): a box is two corner points labelled 2 and 3; the graph takes
 *    one prompt, so one run per box; it returns masks at `orig_im_size` and the low-res logits.
 *  B (transformers.js, `input_boxes`): every box of the image in one run; 256 x 256 logits.
 * The mask is chosen by predicted IoU (SamOnnxModel.select_masks), upsampled exactly as SAM does,
 * thresholded at 0 and returned as COCO compressed RLE at the requested output size (the original
 * image, up to 40 MP): the RLE is written while resizing, never as an output-size plane (sam-masks.ts).
 */
import type { RgbaImage, Size } from '../image/types';
import type { Box, SegmentStage, Segmentation } from '../pipeline/contracts';
import { imageInput } from '../vision/image-input';
import { LruCache } from '../vision/lru';
import { lowResMaskToRle, resizedMaskRle, selectMask } from '../vision/sam-masks';
import { BOX_CORNER_LABELS, SAM_INPUT_SIZE, imageBoxToSamCorners } from '../vision/sam-transform';
import { float32, floatOutput, hasInput, imageSpec, int64, type ModelAccess, type ModelHandle, type TensorData } from './model-access';

export interface SamSegmentConfig {
  encoderModel: string;
  decoderModel: string;
  /** Image embeddings kept per isolate (4 MB each). */
  cacheSize: number;
}

interface Embedded {
  /** `[1,256,64,64]` float32: the encoder's features of the 1024-padded model frame. */
  embeddings: TensorData;
  /** transformers.js encoders also return the (image-independent) dense positional embeddings. */
  positional: TensorData | null;
  /** The image's size inside the padded 1024 square (the SAM model frame). */
  resized: Size;
  /** The stage's input image in its own pixels: the frame prompts are given in and the graph's `masks` come back in. */
  image: Size;
}

/** The decoders' low-res mask logits: 256 x 256 covering the whole 1024-padded model frame. */
const LOW_RES = { width: 256, height: 256 };

export class SamSegment implements SegmentStage {
  readonly id: string;
  private readonly images: LruCache<Promise<Embedded>>;

  constructor(private readonly models: ModelAccess, private readonly config: SamSegmentConfig) {
    this.id = `segment:${config.encoderModel}+${config.decoderModel}`;
    this.images = new LruCache(config.cacheSize);
  }

  async prepare(image: RgbaImage, imageKey: string): Promise<void> {
    const decoder = await this.models.model(this.config.decoderModel);
    await Promise.all([this.embedded(image, imageKey), decoder.load()]);
  }

  /** Boxes in `image` pixels -> one mask per box as COCO RLE in `output` pixels (the original image's frame, same content scaled). */
  async segment(image: RgbaImage, imageKey: string, boxes: Box[], output: Size): Promise<Segmentation[]> {
    if (boxes.length === 0) return [];
    const [emb, decoder] = await Promise.all([this.embedded(image, imageKey), this.models.model(this.config.decoderModel)]);
    if (hasInput(decoder.entry, 'point_coords')) {
      const out: Segmentation[] = [];
      // The official export fixes the prompt batch at 1: one run per box.
      for (const box of boxes) out.push(await this.decodeA(decoder, emb, box, output));
      return out;
    }
    if (hasInput(decoder.entry, 'input_boxes')) return this.decodeB(decoder, emb, boxes, output);
    throw new Error(`model "${decoder.entry.id}" takes neither point_coords (official SAM export) nor input_boxes (transformers.js export)`);
  }

  private embedded(image: RgbaImage, imageKey: string): Promise<Embedded> {
    return this.images.getOrCreate(imageKey, async () => {
      const encoder = await this.models.model(this.config.encoderModel);
      const input = imageInput(image, imageSpec(encoder.entry));
      const name = encoder.entry.inputs[0]?.name;
      if (!name) throw new Error(`model "${encoder.entry.id}" has no inputs in the manifest`);
      const out = await encoder.run({ [name]: float32(input.data, input.dims) });
      const emb = floatOutput(out, 'image_embeddings', encoder.entry.id);
      const pos = out.image_positional_embeddings ? floatOutput(out, 'image_positional_embeddings', encoder.entry.id) : null;
      return {
        embeddings: float32(emb.data, emb.dims),
        positional: pos ? float32(pos.data, pos.dims) : null,
        resized: input.resized,
        image: { width: image.width, height: image.height },
      };
    });
  }

  /**
   * Contract A: `point_coords` `[1,2,2]` and `point_labels` `[1,2]` (box corners in the 1024-padded frame),
   * `orig_im_size` `[2]` (h, w of `emb.image`); outputs `iou_predictions` `[1,C]`, `masks` `[1,C,h,w]` in
   * `emb.image` pixels, `low_res_masks` `[1,C,256,256]`.
   */
  private async decodeA(decoder: ModelHandle, emb: Embedded, box: Box, output: Size): Promise<Segmentation> {
    const corners = imageBoxToSamCorners(box, emb.image, SAM_INPUT_SIZE);
    const out = await decoder.run({
      image_embeddings: emb.embeddings,
      point_coords: float32(new Float32Array(corners), [1, 2, 2]),
      point_labels: float32(new Float32Array(BOX_CORNER_LABELS), [1, 2]),
      mask_input: float32(new Float32Array(256 * 256), [1, 1, 256, 256]),
      has_mask_input: float32(new Float32Array([0]), [1]),
      orig_im_size: float32(new Float32Array([emb.image.height, emb.image.width]), [2]),
    });
    const iou = floatOutput(out, 'iou_predictions', decoder.entry.id).data;
    const k = selectMask(iou, corners.length / 2);
    const sameFrame = output.width === emb.image.width && output.height === emb.image.height;
    if (sameFrame) {
      // The graph already did SAM's post-processing for this size (the working image, not the original).
      const masks = floatOutput(out, 'masks', decoder.entry.id);
      const plane = output.width * output.height;
      const logits = masks.data.subarray(k * plane, (k + 1) * plane);
      return { ...resizedMaskRle(logits, output.width, output.height, output.width, output.height), score: iou[k] };
    }
    // A larger answer frame: redo the same post-processing from the low-res logits at that size.
    const low = floatOutput(out, 'low_res_masks', decoder.entry.id).data;
    return { ...lowResMaskToRle(low.subarray(k * 65536, (k + 1) * 65536), LOW_RES, emb.resized, output), score: iou[k] };
  }

  /**
   * Contract B: `input_boxes` `[1,N,4]` (corners in the 1024-padded frame) with the image and positional
   * embeddings; outputs `iou_scores` `[1,N,C]` and `pred_masks` `[1,N,C,256,256]` low-res logits.
   */
  private async decodeB(decoder: ModelHandle, emb: Embedded, boxes: Box[], output: Size): Promise<Segmentation[]> {
    if (!emb.positional) throw new Error(`model "${this.config.encoderModel}" gives no image_positional_embeddings, which "${decoder.entry.id}" needs (pair a transformers.js encoder with it)`);
    const n = boxes.length;
    const corners = new Float32Array(n * 4);
    boxes.forEach((b, i) => corners.set(imageBoxToSamCorners(b, emb.image, SAM_INPUT_SIZE), i * 4));
    const feeds: Record<string, TensorData> = {
      input_boxes: float32(corners, [1, n, 4]),
      image_embeddings: emb.embeddings,
      image_positional_embeddings: emb.positional,
    };
    if (hasInput(decoder.entry, 'input_points')) {
      // Exports that also take points get one padding point per box (label -10: ignored by the prompt encoder).
      feeds.input_points = float32(new Float32Array(n * 2), [1, n, 1, 2]);
      feeds.input_labels = int64(new Array(n).fill(-10), [1, n, 1]);
    }
    const out = await decoder.run(feeds);
    const iou = floatOutput(out, 'iou_scores', decoder.entry.id);
    const masks = floatOutput(out, 'pred_masks', decoder.entry.id);
    const c = iou.dims[iou.dims.length - 1];
    const plane = LOW_RES.width * LOW_RES.height;
    return boxes.map((_, i) => {
      const scores = iou.data.subarray(i * c, (i + 1) * c);
      const k = selectMask(scores);
      const low = masks.data.subarray((i * c + k) * plane, (i * c + k + 1) * plane);
      return { ...lowResMaskToRle(low, LOW_RES, emb.resized, output), score: scores[k] };
    });
  }
}
