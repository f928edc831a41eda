/**
 * The same model for inference: the graph rebuilt without its Dropout layers, sharing the trained
 * layers (and so their weights). Dropout is the identity at inference, but tfjs still dispatches
 * one Identity kernel per dropout layer on every predict; on the car that is per frame.
 */
import * as tf from '@tensorflow/tfjs';

export function inferenceModel(model: tf.LayersModel): tf.LayersModel {
  const rebuilt = new Map<string, tf.SymbolicTensor>();
  const inputs = model.inputs.map((input) => {
    const fresh = tf.input({ shape: input.shape.slice(1) as number[], dtype: input.dtype, name: `${input.name.replace(/\W/g, '_')}_inference` });
    rebuilt.set(input.name, fresh);
    return fresh;
  });
  const mapped = (t: tf.SymbolicTensor): tf.SymbolicTensor => {
    const out = rebuilt.get(t.name);
    if (!out) throw new Error(`inferenceModel: layer input ${t.name} comes before its producer; only feed-forward graphs are supported`);
    return out;
  };
  // model.layers is in topological order. A layer's first inbound node is the one made when the
  // model was built (rebuilding adds more, so this can run again on the same model).
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = layer.inboundNodes[0];
    if (!node) throw new Error(`inferenceModel: layer ${layer.name} is not connected to the model`);
    const sources = node.inputTensors.map(mapped);
    const outputs = layer.getClassName() === 'Dropout' ? sources : [layer.apply(sources.length === 1 ? sources[0]! : sources) as tf.SymbolicTensor].flat();
    node.outputTensors.forEach((t, i) => rebuilt.set(t.name, outputs[i]!));
  }
  return tf.model({ inputs, outputs: model.outputs.map(mapped), name: `${model.name}_inference` });
}
