/** Cutting text at a UTF-16 length without breaking a surrogate pair (Convex refuses a string with half a pair). */

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** The longest start of `text` of at most `max` UTF-16 units that does not end inside a surrogate pair ("" when
 * `max` is 1 and `text` starts with a pair). */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max > 0 && isHigh(text.charCodeAt(max - 1)) ? max - 1 : max);
}

/** `text` in pieces of at most `max` (≥ 2) UTF-16 units, none ending inside a surrogate pair. */
export function splitText(text: string, max: number): string[] {
  if (max < 2) throw new Error(`splitText: a piece of ${max} unit(s) cannot always hold a character`);
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const piece = cutText(text.slice(i, i + max + 1), max);
    out.push(piece);
    i += piece.length;
  }
  return out;
}

/** UTF-8 bytes of a value's JSON: what Convex counts when a transaction reads or writes the document. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
