/** SHA-256 (pure JS, @noble/hashes: runs in Convex's default runtime) as lowercase hex. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** The root hash of a source: SHA-256 over the chunk hashes (hex text) concatenated in chunk order. */
export function rootHash(chunkHashes: string[]): string {
  return sha256Hex(chunkHashes.join(""));
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
