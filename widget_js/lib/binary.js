// Decoding of the binary traits Python sends (little-endian float32 / float64 / uint32).
//
// Values in input units (map layers, component planes) come as float64: float32 keeps 7 digits, so
// a column around 1e8 or a Unix timestamp would reach the browser as a handful of distinct values.
//
// anywidget hands a `traitlets.Bytes` trait to the browser as a DataView whose
// byteOffset may not be a multiple of 4, so a typed-array view is only taken
// when it is aligned and the machine is little-endian; otherwise the values
// are copied out one by one with explicit little-endian reads.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @param {unknown} data @returns {{buffer: ArrayBufferLike, byteOffset: number, byteLength: number} | null} */
function asByteRange(data) {
  if (data == null) return null;
  if (data instanceof ArrayBuffer) return { buffer: data, byteOffset: 0, byteLength: data.byteLength };
  if (ArrayBuffer.isView(data))
    return { buffer: data.buffer, byteOffset: data.byteOffset, byteLength: data.byteLength };
  throw new TypeError(`expected binary data (DataView, ArrayBuffer or typed array), got ${typeof data}`);
}

/**
 * @template {Float32ArrayConstructor | Float64ArrayConstructor | Uint32ArrayConstructor} C
 * @param {unknown} data
 * @param {C} Kind
 * @param {(view: DataView, offset: number) => number} read
 */
function decode(data, Kind, read) {
  const size = Kind.BYTES_PER_ELEMENT;
  const range = asByteRange(data);
  if (range === null) return new Kind(0);
  if (range.byteLength % size !== 0) {
    throw new RangeError(
      `binary buffer of ${range.byteLength} bytes is not a whole number of ${size}-byte values`,
    );
  }
  const length = range.byteLength / size;
  if (LITTLE_ENDIAN && range.byteOffset % size === 0) {
    return new Kind(range.buffer, range.byteOffset, length);
  }
  const view = new DataView(range.buffer, range.byteOffset, range.byteLength);
  const out = new Kind(length);
  for (let i = 0; i < length; i++) out[i] = read(view, size * i);
  return out;
}

/** Little-endian float32 values of a DataView / ArrayBuffer / typed array (empty for null). */
export function toFloat32(data) {
  return decode(data, Float32Array, (view, offset) => view.getFloat32(offset, true));
}

/** Little-endian float64 values of a DataView / ArrayBuffer / typed array (empty for null). */
export function toFloat64(data) {
  return decode(data, Float64Array, (view, offset) => view.getFloat64(offset, true));
}

/** Little-endian uint32 values of a DataView / ArrayBuffer / typed array (empty for null). */
export function toUint32(data) {
  return decode(data, Uint32Array, (view, offset) => view.getUint32(offset, true));
}

/**
 * An array trait as Python's somnium.widgets._traits sends it:
 * {dtype: "float32" | "float64" | "uint32", shape: number[], data: DataView}.
 * @returns {{data: Float32Array | Float64Array | Uint32Array, shape: number[]}}
 */
export function decodeArray(value) {
  if (value == null) return { data: new Float32Array(0), shape: [0] };
  const decoders = { float32: toFloat32, float64: toFloat64, uint32: toUint32 };
  const decoder = decoders[value.dtype];
  if (!decoder) throw new TypeError(`unsupported array dtype ${String(value.dtype)}`);
  const data = decoder(value.data);
  const expected = value.shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new RangeError(`array of shape [${value.shape}] needs ${expected} values, got ${data.length}`);
  }
  return { data, shape: value.shape };
}
