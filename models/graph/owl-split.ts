/**
 * Where OWL-ViT's one graph is cut into the image part and the query part (the class head joins them, in JS:
 * shared/vision/owl-head.ts). Tensor names follow the torch.onnx export of transformers' OwlViTForObjectDetection:
 *   image_class_embeds  <class_head>/Div_output_0                 dense0(image_embeds) / (‖·‖ + 1e-6)
 *   logit_shift         <class_head>/logit_shift/Add_output_0
 *   logit_scale         <class_head>/Add_2_output_0               elu(logit_scale(image_embeds)) + 1
 *   pred_boxes          pred_boxes                                (the graph output)
 *   query_embeds        <owlvit>/text_projection/MatMul_output_0  pooled, projected, not normalised
 * The look-alike wraps the model in `mods.0` (prefix '/mods.0'), and the names above were found in it and checked
 * by test/node/graph-split.test.ts. The published Xenova/owlvit-base-patch32 export (prefix '') could not be
 * downloaded here, so its names are the same export's names WITHOUT a check: `split` fails loudly, naming the
 * missing tensor, if they differ.
 */
export interface PartRecipe { inputs: string[]; outputs: Record<string, string> }

export function owlSplit(prefix: string): { image: PartRecipe; query: PartRecipe } {
  return {
    image: {
      inputs: ['pixel_values'],
      outputs: {
        image_class_embeds: `${prefix}/class_head/Div_output_0`,
        logit_shift: `${prefix}/class_head/logit_shift/Add_output_0`,
        logit_scale: `${prefix}/class_head/Add_2_output_0`,
        pred_boxes: 'pred_boxes',
      },
    },
    query: { inputs: ['input_ids', 'attention_mask'], outputs: { query_embeds: `${prefix}/owlvit/text_projection/MatMul_output_0` } },
  };
}

/** The `models split` command lines that make the default set's two parts from the published one-graph file. */
export function owlSplitCommands(file: string, prefix = ''): string[] {
  const r = owlSplit(prefix);
  const line = (part: PartRecipe, out: string) =>
    `npm run models -- split ${file} --inputs ${part.inputs.join(',')} --outputs ${Object.values(part.outputs).join(',')} ${Object.entries(part.outputs).filter(([k, v]) => k !== v).map(([k, v]) => `--rename ${v}=${k}`).join(' ')} --out ${out}`;
  return [line(r.image, file.replace(/\.onnx$/, '.image.onnx')), line(r.query, file.replace(/\.onnx$/, '.query.onnx'))];
}
