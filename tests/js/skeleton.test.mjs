import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeSkeleton, encodeSkeleton, SkeletonError } from "../../ringflow/web/js/core/skeleton.js";

const sample = { keys: [3, 7, 9], x: [0, 300, -40.5], y: [10, 20, 30], w: [200, 200, 120], h: [72, 72, 40], type: [0, 4, 255],
  esrc: [0, 1], edst: [1, 2], eout: [0, 3], revision: 12, start: 0 };

test("round trip keeps every section and the header", () => {
  const sk = decodeSkeleton(encodeSkeleton(sample));
  assert.equal(sk.n, 3); assert.equal(sk.e, 2); assert.equal(sk.revision, 12); assert.equal(sk.start, 0);
  assert.deepEqual([...sk.keys], [3, 7, 9]);
  assert.deepEqual([...sk.x], [0, 300, -40.5]);
  assert.deepEqual([...sk.w], [200, 200, 120]);
  assert.deepEqual([...sk.type], [0, 4, 255]);
  assert.deepEqual([...sk.esrc], [0, 1]); assert.deepEqual([...sk.edst], [1, 2]); assert.deepEqual([...sk.eout], [0, 3]);
  assert.deepEqual(sk.bounds, [-40.5, 10, 500, 92]);
});

test("byte layout matches docs/skeleton.md (17 bytes a node, 9 an edge, 4-byte sections)", () => {
  const buf = encodeSkeleton({ ...sample, keys: [1, 2, 3, 4], x: [0, 0, 0, 0], y: [0, 0, 0, 0], w: [1, 1, 1, 1], h: [1, 1, 1, 1], type: [1, 1, 1, 1], esrc: [0, 1, 2, 3], edst: [1, 2, 3, 0], eout: [0, 0, 0, 0] });
  assert.equal(buf.byteLength, 40 + 17 * 4 + 9 * 4);
  assert.equal(String.fromCharCode(...new Uint8Array(buf, 0, 4)), "RFSK");
});

test("odd counts are padded so sections stay aligned", () => {
  const sk = decodeSkeleton(encodeSkeleton(sample));
  assert.deepEqual([...sk.h], [72, 72, 40]);
  assert.deepEqual([...sk.eout], [0, 3]);
});

test("bad input is refused with a clear error", () => {
  assert.throws(() => decodeSkeleton(new ArrayBuffer(8)), SkeletonError);
  const bad = encodeSkeleton(sample); new Uint8Array(bad)[0] = 0;
  assert.throws(() => decodeSkeleton(bad), /bad magic/);
  assert.throws(() => decodeSkeleton(encodeSkeleton(sample).slice(0, 60)), /truncated/);
});
