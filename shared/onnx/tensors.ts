/**
 * Plain tensors: what stages pass in and get back, so stage code never touches an ORT copy's own Tensor class
 * (each fresh copy has its own).
 */
export type TensorType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';

export type TensorArray = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorData {
  type: TensorType;
  data: TensorArray;
  dims: readonly number[];
}

export const tensor = (type: TensorType, data: TensorArray, dims: readonly number[]): TensorData => ({ type, data, dims });
