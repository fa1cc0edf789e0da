/** Decoder (and encoder, for tests and the dev page) of the binary skeleton, docs/skeleton.md.
 * Copies each section into its own typed array (one memcpy each) so the buffer can be freed
 * and arrays can grow; no JS object per node. */

export const MAGIC = 0x4b534652; // "RFSK" little-endian
const HEADER = 40;
const pad4 = (n) => (n + 3) & ~3;

export class SkeletonError extends Error {}

/** @param {ArrayBuffer} buf @returns skeleton with typed arrays */
export function decodeSkeleton(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < HEADER) throw new SkeletonError("skeleton too short");
  const dv = new DataView(buf);
  if (dv.getUint32(0, true) !== MAGIC) throw new SkeletonError("not a skeleton (bad magic)");
  const version = dv.getUint16(4, true);
  if (version !== 1) throw new SkeletonError(`unsupported skeleton version ${version}`);
  const n = dv.getUint32(8, true), e = dv.getUint32(12, true);
  const need = HEADER + 4 * n * 3 + pad4(2 * n) * 2 + pad4(n) + 8 * e + pad4(e);
  if (buf.byteLength < need) throw new SkeletonError(`skeleton truncated: ${buf.byteLength} < ${need} bytes`);
  let off = HEADER;
  const take = (Ctor, count, bytesPer) => {
    const a = new Ctor(count);
    a.set(new Ctor(buf, off, count));
    off += pad4(count * bytesPer);
    return a;
  };
  const keys = take(Uint32Array, n, 4), x = take(Float32Array, n, 4), y = take(Float32Array, n, 4);
  // u16 sections may start on a 2-byte boundary only if n is odd for w; each starts on 4 per spec
  const w = take(Uint16Array, n, 2), h = take(Uint16Array, n, 2), type = take(Uint8Array, n, 1);
  const esrc = take(Uint32Array, e, 4), edst = take(Uint32Array, e, 4), eout = take(Uint8Array, e, 1);
  return {
    n, e, revision: dv.getUint32(16, true), start: dv.getInt32(20, true),
    bounds: [dv.getFloat32(24, true), dv.getFloat32(28, true), dv.getFloat32(32, true), dv.getFloat32(36, true)],
    keys, x, y, w, h, type, esrc, edst, eout,
  };
}

/** Build a skeleton buffer from plain arrays (tests, dev page, synthetic flows). */
export function encodeSkeleton({ keys, x, y, w, h, type, esrc = [], edst = [], eout = [], revision = 1, start = -1 }) {
  const n = keys.length, e = esrc.length;
  const size = HEADER + 4 * n * 3 + pad4(2 * n) * 2 + pad4(n) + 8 * e + pad4(e);
  const buf = new ArrayBuffer(size), dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true); dv.setUint16(4, 1, true); dv.setUint16(6, 0, true);
  dv.setUint32(8, n, true); dv.setUint32(12, e, true); dv.setUint32(16, revision, true); dv.setInt32(20, start, true);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, x[i]); y0 = Math.min(y0, y[i]);
    x1 = Math.max(x1, x[i] + w[i]); y1 = Math.max(y1, y[i] + h[i]);
  }
  if (!n) x0 = y0 = x1 = y1 = 0;
  [x0, y0, x1, y1].forEach((v, k) => dv.setFloat32(24 + 4 * k, v, true));
  let off = HEADER;
  const put = (Ctor, src, bytesPer) => { new Ctor(buf, off, src.length).set(src); off += pad4(src.length * bytesPer); };
  put(Uint32Array, keys, 4); put(Float32Array, x, 4); put(Float32Array, y, 4);
  put(Uint16Array, w, 2); put(Uint16Array, h, 2); put(Uint8Array, type, 1);
  put(Uint32Array, esrc, 4); put(Uint32Array, edst, 4); put(Uint8Array, eout, 1);
  return buf;
}
