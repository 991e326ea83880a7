/** A bucket holding model files: the R2 binding or any S3-compatible store. */
export interface StoredObject {
  bytes: Uint8Array;
  /** The SHA-256 recorded as object metadata when it was stored through this code, if any. */
  sha256?: string;
}

export interface ObjectStore {
  readonly kind: 'r2' | 's3' | 'folder';
  /** Human-readable location for messages, e.g. `s3://gmner-models at http://127.0.0.1:4569`. */
  readonly location: string;
  /** null when the key does not exist; throws on any other failure. */
  get(key: string): Promise<StoredObject | null>;
  put(key: string, bytes: Uint8Array, sha256: string): Promise<void>;
}
