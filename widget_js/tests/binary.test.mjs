import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeArray, toFloat32, toFloat64, toUint32 } from "../lib/binary.js";

function littleEndianBytes(values, Kind, offset = 0) {
  const bytes = new Uint8Array(values.length * 4 + offset);
  const view = new DataView(bytes.buffer, offset);
  values.forEach((value, i) => {
    if (Kind === Float32Array) view.setFloat32(4 * i, value, true);
    else view.setUint32(4 * i, value, true);
  });
  return new DataView(bytes.buffer, offset, values.length * 4);
}

test("float32 values decode from an aligned DataView without copying", () => {
  const view = littleEndianBytes([1.5, -2, NaN], Float32Array);
  const values = toFloat32(view);
  assert.equal(values.buffer, view.buffer);
  assert.deepEqual(Array.from(values.slice(0, 2)), [1.5, -2]);
  assert.ok(Number.isNaN(values[2]));
});

test("float32 values decode from a DataView at an odd byte offset", () => {
  const values = toFloat32(littleEndianBytes([0.25, 1e6, -3], Float32Array, 1));
  assert.deepEqual(Array.from(values), [0.25, 1e6, -3]);
});

test("uint32 values decode aligned and unaligned alike", () => {
  const expected = [0, 7, 4294967295];
  assert.deepEqual(Array.from(toUint32(littleEndianBytes(expected, Uint32Array))), expected);
  assert.deepEqual(Array.from(toUint32(littleEndianBytes(expected, Uint32Array, 3))), expected);
});

test("missing buffers decode as empty arrays", () => {
  assert.equal(toFloat32(null).length, 0);
  assert.equal(toUint32(undefined).length, 0);
});

test("ArrayBuffers and typed arrays are accepted as well", () => {
  const source = new Float32Array([3, 4]);
  assert.deepEqual(Array.from(toFloat32(source.buffer)), [3, 4]);
  assert.deepEqual(Array.from(toFloat32(source)), [3, 4]);
});

test("a buffer that is not whole 4-byte values is rejected", () => {
  assert.throws(() => toFloat32(new DataView(new ArrayBuffer(6))), /not a whole number of 4-byte values/);
});

test("non-binary input is rejected with a clear error", () => {
  assert.throws(() => toFloat32([1, 2, 3]), /expected binary data/);
});

test("decodeArray reads an array trait with its dtype and shape", async () => {
  const { decodeArray } = await import("../lib/binary.js");
  const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const { data, shape } = decodeArray({ dtype: "float32", shape: [3, 2], data: new DataView(bytes.buffer) });
  assert.deepEqual(Array.from(data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(shape, [3, 2]);
  assert.throws(
    () => decodeArray({ dtype: "float32", shape: [4, 2], data: new DataView(bytes.buffer) }),
    RangeError,
  );
  assert.throws(
    () => decodeArray({ dtype: "int8", shape: [1], data: new DataView(bytes.buffer) }),
    TypeError,
  );
});

test("float64 values keep every digit of a large offset, aligned or not", () => {
  const expected = [1e8 + 0.25, 1.7e9 + 0.125, Number.NaN, -3];
  for (const offset of [0, 4, 3]) {
    const bytes = new Uint8Array(expected.length * 8 + offset);
    const view = new DataView(bytes.buffer, offset);
    for (const [i, value] of expected.entries()) view.setFloat64(8 * i, value, true);
    const values = toFloat64(new DataView(bytes.buffer, offset, expected.length * 8));
    assert.deepEqual(Array.from(values.slice(0, 2)), expected.slice(0, 2));
    assert.ok(Number.isNaN(values[2]) && values[3] === -3);
  }
  const { data, shape } = decodeArray({
    dtype: "float64",
    shape: [2],
    data: new Float64Array([1e8 + 1, 1e8 - 1]),
  });
  assert.deepEqual(Array.from(data), [1e8 + 1, 1e8 - 1]);
  assert.deepEqual(shape, [2]);
  assert.throws(() => toFloat64(new DataView(new ArrayBuffer(12))), /not a whole number of 8-byte values/);
});
