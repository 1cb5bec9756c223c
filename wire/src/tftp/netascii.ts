/**
 * Netascii (RFC 1350 §1 and appendix, after RFC 764 Telnet NVT): a transfer in mode
 * "netascii" sends a line end (LF) as CR LF and a lone CR as CR NUL. The server converts a
 * whole file before sending, so the block boundaries fall on the converted bytes as the RFC
 * requires and the client's conversion back gives the original file.
 */
const CR = 0x0d;
const LF = 0x0a;

/** Local bytes → netascii bytes. */
export function encodeNetascii(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of bytes) if (b === CR || b === LF) extra++;
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.byteLength + extra);
  let at = 0;
  for (const b of bytes) {
    if (b === LF) {
      out[at++] = CR;
      out[at++] = LF;
    } else if (b === CR) {
      out[at++] = CR;
      out[at++] = 0;
    } else {
      out[at++] = b;
    }
  }
  return out;
}

/**
 * Netascii bytes → local bytes: CR LF → LF, CR NUL → CR. A CR before anything else (which a
 * correct sender never produces) is kept as it is, as is a CR at the very end.
 */
export function decodeNetascii(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  let at = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i] as number;
    const next = bytes[i + 1];
    if (b === CR && (next === LF || next === 0)) {
      out[at++] = next === LF ? LF : CR;
      i++;
    } else {
      out[at++] = b;
    }
  }
  return out.subarray(0, at);
}
