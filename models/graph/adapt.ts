/**
 * Adapters that give a look-alike graph the default set's I/O contract for its role, so the real stage code runs on
 * it unchanged. They add or rename only at the graph's edges; the look-alike's own compute is untouched.
 */
import { gauss, streamFor } from './inflate';
import { type DimValue, DT, floatTensor, int64Tensor, type Model, node, onnx, valueInfo } from './proto';

/** Renames values everywhere (node inputs and outputs, graph inputs and outputs, initializers). */
export function renameValues(model: Model, renames: Record<string, string>): void {
  const g = model.graph!;
  const r = (s: string) => renames[s] ?? s;
  for (const n of g.node!) { n.input = n.input!.map(r); n.output = n.output!.map(r); }
  for (const v of [...g.input!, ...g.output!, ...(g.valueInfo ?? [])]) v.name = r(v.name!);
  for (const t of g.initializer!) t.name = r(t.name!);
}

/** Gives graph inputs/outputs new shapes (e.g. a symbolic dimension where the export fixed one). */
export function setShapes(model: Model, shapes: Record<string, DimValue[]>): void {
  const g = model.graph!;
  for (const v of [...g.input!, ...g.output!]) {
    const s = shapes[v.name!];
    if (s) v.type = valueInfo(v.name!, v.type!.tensorType!.elemType!, s).type;
  }
  g.valueInfo = [];
}

/** Deterministic N(0, std²)-like values, from inflation's generator seeded by the name. */
function weights(name: string, count: number, std: number): Float32Array {
  const g = gauss(streamFor(name));
  return Float32Array.from({ length: count }, () => g() * std);
}

const SAM_MEAN = [123.675, 116.28, 103.53];
const SAM_STD = [58.395, 57.12, 57.375];

/**
 * MobileSAM encoder look-alike (timm tiny_vit_5m at 1024: pixel_values [1,3,1024,1024] -> out [1,320,32,32]) to the
 * Acly export's contract: input_image [height, width, 3] RGB 0–255 with the longest side 1024 -> image_embeddings
 * [1,256,64,64]. In front: HWC -> CHW, SAM's mean/std, zero padding to 1024 x 1024 at the bottom/right, as the Acly
 * graph does. Behind: a ConvTranspose 320 -> 256, kernel 2, stride 2 (1.3 MB of deterministic weights) stands in
 * for the real encoder's 64 x 64 neck, which the timm look-alike lacks.
 */
export function mobileSamEncoderContract(model: Model): void {
  const g = model.graph!;
  const p = 'adapter_pre';
  renameValues(model, { pixel_values: `${p}_pixel_values`, out: 'adapter_out' });
  g.input = [valueInfo('input_image', DT.FLOAT, ['height', 'width', 3])];
  g.initializer!.push(
    floatTensor(`${p}_mean`, SAM_MEAN, [3, 1, 1]), floatTensor(`${p}_std`, SAM_STD, [3, 1, 1]),
    int64Tensor(`${p}_side`, [1024, 1024]), int64Tensor(`${p}_zeros`, [0, 0, 0, 0]),
    int64Tensor(`${p}_hw_start`, [0]), int64Tensor(`${p}_hw_end`, [2]), int64Tensor(`${p}_axis0`, [0]),
    floatTensor(`${p}_pad_value`, [0], []),
    floatTensor('adapter_neck_weight', weights('adapter_neck_weight', 320 * 256 * 4, 1 / Math.sqrt(320)), [320, 256, 2, 2]),
    floatTensor('adapter_neck_bias', new Float32Array(256), [256]),
  );
  g.node = [
    node('Transpose', ['input_image'], [`${p}_chw`], `${p}_transpose`, { perm: [2, 0, 1] }),
    node('Sub', [`${p}_chw`, `${p}_mean`], [`${p}_centred`], `${p}_sub`),
    node('Div', [`${p}_centred`, `${p}_std`], [`${p}_normalised`], `${p}_div`),
    node('Shape', ['input_image'], [`${p}_shape`], `${p}_shape`),
    node('Slice', [`${p}_shape`, `${p}_hw_start`, `${p}_hw_end`], [`${p}_hw`], `${p}_slice`),
    node('Sub', [`${p}_side`, `${p}_hw`], [`${p}_pad_hw`], `${p}_pad_amount`),
    node('Concat', [`${p}_zeros`, `${p}_pad_hw`], [`${p}_pads`], `${p}_pads`, { axis: 0 }),
    node('Pad', [`${p}_normalised`, `${p}_pads`, `${p}_pad_value`], [`${p}_padded`], `${p}_pad`),
    node('Unsqueeze', [`${p}_padded`, `${p}_axis0`], [`${p}_pixel_values`], `${p}_unsqueeze`),
    ...g.node!,
    node('ConvTranspose', ['adapter_out', 'adapter_neck_weight', 'adapter_neck_bias'], ['image_embeddings'], 'adapter_neck', { kernel_shape: [2, 2], strides: [2, 2] }),
  ];
  g.output = [valueInfo('image_embeddings', DT.FLOAT, [1, 256, 64, 64])];
  g.valueInfo = [];
}

/**
 * SAM prompt-encoder/mask-decoder look-alike (HF SamModel: input_points [1,1,2,2], input_labels [1,1,2] int64 ->
 * iou_scores [1,1,3], pred_masks [1,1,3,256,256]) to the official export's contract A: point_coords [1,2,2] and
 * point_labels [1,2] (a box as two corners, one box per run, as the stage feeds it), mask_input, has_mask_input,
 * orig_im_size -> masks [1,4,H,W], iou_predictions [1,4], low_res_masks [1,4,256,256]. The look-alike has no mask
 * prompt (mask_input and has_mask_input are accepted and unused) and three mask tokens: the fourth is their mean.
 * masks are low_res_masks resized straight to orig_im_size (the official graph also crops the padding first).
 */
export function samDecoderContractA(model: Model): void {
  const g = model.graph!;
  const p = 'adapter';
  renameValues(model, { input_points: `${p}_points`, input_labels: `${p}_labels`, iou_scores: `${p}_iou3`, pred_masks: `${p}_masks3` });
  g.input = [
    g.input!.find((i) => i.name === 'image_embeddings')!,
    valueInfo('point_coords', DT.FLOAT, [1, 2, 2]),
    valueInfo('point_labels', DT.FLOAT, [1, 2]),
    valueInfo('mask_input', DT.FLOAT, [1, 1, 256, 256]),
    valueInfo('has_mask_input', DT.FLOAT, [1]),
    valueInfo('orig_im_size', DT.FLOAT, [2]),
  ];
  g.initializer!.push(
    int64Tensor(`${p}_points_shape`, [1, 1, 2, 2]), int64Tensor(`${p}_labels_shape`, [1, 1, 2]),
    int64Tensor(`${p}_iou_shape`, [1, 3]), int64Tensor(`${p}_masks_shape`, [1, 3, 256, 256]),
    int64Tensor(`${p}_batch_masks`, [1, 4]),
  );
  g.node = [
    node('Reshape', ['point_coords', `${p}_points_shape`], [`${p}_points`], `${p}_points`),
    node('Reshape', ['point_labels', `${p}_labels_shape`], [`${p}_labels_f`], `${p}_labels_f`),
    node('Cast', [`${p}_labels_f`], [`${p}_labels`], `${p}_labels`, { to: DT.INT64 }),
    ...g.node!,
    node('Reshape', [`${p}_iou3`, `${p}_iou_shape`], [`${p}_iou`], `${p}_iou`),
    node('ReduceMean', [`${p}_iou`], [`${p}_iou_mean`], `${p}_iou_mean`, { axes: [1], keepdims: 1 }),
    node('Concat', [`${p}_iou_mean`, `${p}_iou`], ['iou_predictions'], `${p}_iou4`, { axis: 1 }),
    node('Reshape', [`${p}_masks3`, `${p}_masks_shape`], [`${p}_masks`], `${p}_masks`),
    node('ReduceMean', [`${p}_masks`], [`${p}_masks_mean`], `${p}_masks_mean`, { axes: [1], keepdims: 1 }),
    node('Concat', [`${p}_masks_mean`, `${p}_masks`], ['low_res_masks'], `${p}_masks4`, { axis: 1 }),
    node('Cast', ['orig_im_size'], [`${p}_size`], `${p}_size`, { to: DT.INT64 }),
    node('Concat', [`${p}_batch_masks`, `${p}_size`], [`${p}_sizes`], `${p}_sizes`, { axis: 0 }),
    node('Resize', ['low_res_masks', '', '', `${p}_sizes`], ['masks'], `${p}_resize`, { mode: 'linear' }),
  ];
  g.output = [
    valueInfo('masks', DT.FLOAT, [1, 4, 'orig_height', 'orig_width']),
    valueInfo('iou_predictions', DT.FLOAT, [1, 4]),
    valueInfo('low_res_masks', DT.FLOAT, [1, 4, 256, 256]),
  ];
  g.valueInfo = [];
}

export { onnx };
