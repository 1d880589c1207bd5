// Test helper: sync records as the host's importer sends them (outside the functions folders, like component.ts).
import { sha256Hex } from "../component/hashing.js";

/** A thread's own JSON as `threadJson` records of at most `partChars` characters each. */
export function threadJson(threadId: string, json: string, at: number, partChars = json.length) {
  const parts = [];
  for (let i = 0; i < json.length; i += partChars) parts.push(json.slice(i, i + partChars));
  return parts.map((data, part) => ({ type: "threadJson", threadId, part, partCount: parts.length, data, sha256: sha256Hex(json), at }));
}
