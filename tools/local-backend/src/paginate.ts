/**
 * `.paginate()` over an index range, streamed from the durable engine's index: a page reads the rows it returns
 * (plus what its filters skip), not the whole range. Same results, cursors and split rules as convex-test's own
 * DatabaseFake.paginate, which the engine keeps for everything else (a table the transaction wrote, a scan).
 */
import { getDocumentSize, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { __evaluateFilter } from "convex-test";
import { encodeKey, keyAfter, type KeyRange } from "./keys.js";
import type { Doc, Row } from "./store.js";

export type PageArgs = {
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number;
  maximumBytesRead?: number;
};

export type PageResult = {
  page: Doc[];
  isDone: boolean;
  continueCursor: string;
  splitCursor: string | null;
  pageStatus: "SplitRequired" | "SplitRecommended" | null;
};

type Source = {
  fields: string[];
  range: KeyRange;
  order: "asc" | "desc";
  filters: unknown[];
  /** Entries of a range in order; `doc` set when the transaction wrote it, else read with `get`. */
  entries: (range: KeyRange, order: "asc" | "desc") => Iterable<Row & { doc: Doc | null }>;
  get: (id: string) => Doc | null;
  encodeCursor: (doc: Doc, fields: string[]) => string;
};

/** convex-test's cursor: the sort key's values, each `JSON.stringify(convexToJson(v))`, null for undefined. */
function cursorKey(cursor: string): Buffer {
  const parts = JSON.parse(cursor) as Array<string | null>;
  return encodeKey(parts.map((k) => (k === null ? undefined : (jsonToConvex(JSON.parse(k) as JSONValue) as Value))));
}

export function paginateIndex(src: Source, args: PageArgs): PageResult {
  const { cursor, endCursor, pageSize, maximumRowsRead, maximumBytesRead } = args;
  const empty: PageResult = { page: [], isDone: true, continueCursor: "_end_cursor", splitCursor: null, pageStatus: null };
  if (cursor === "_end_cursor") return empty;
  let range = src.range;
  if (cursor) {
    const at = cursorKey(cursor);
    if (src.order === "asc") {
      const lo = keyAfter(at);
      if (Buffer.compare(lo, range.lo) > 0) range = { ...range, lo };
    } else if (range.hi === null || Buffer.compare(at, range.hi) < 0) range = { ...range, hi: at };
  }
  const hasEnd = !!endCursor && endCursor !== "_end_cursor";
  const endKey = hasEnd ? cursorKey(endCursor!) : null;
  const page: Doc[] = [];
  const readCursors: string[] = [];
  let continueCursor = "_end_cursor";
  let pageStatus: PageResult["pageStatus"] = null;
  let rowsRead = 0;
  let bytesRead = 0;
  const matches = (d: Doc) => src.filters.every((f) => __evaluateFilter(d, f));
  const it = src.entries(range, src.order)[Symbol.iterator]();
  let next = it.next();
  while (!next.done) {
    const row = next.value;
    next = it.next();
    const doc = row.doc ?? src.get(row.id);
    if (doc === null) continue;
    const here = src.encodeCursor(doc, src.fields);
    if (endKey !== null) {
      const c = src.order === "asc" ? Buffer.compare(row.key, endKey) : Buffer.compare(endKey, row.key);
      if (c >= 0) {
        if (c === 0) {
          rowsRead += 1;
          bytesRead += getDocumentSize(doc);
          readCursors.push(here);
          if (matches(doc)) page.push(doc);
          continueCursor = here;
        }
        break;
      }
    }
    rowsRead += 1;
    bytesRead += getDocumentSize(doc);
    readCursors.push(here);
    const hitLimit = (!!maximumRowsRead && rowsRead >= maximumRowsRead) || (!!maximumBytesRead && bytesRead >= maximumBytesRead);
    if (matches(doc)) page.push(doc);
    if (hitLimit) {
      pageStatus = "SplitRequired";
      continueCursor = here;
      break;
    }
    if (!endCursor && page.length >= pageSize) {
      if (!next.done) continueCursor = here;
      break;
    }
  }
  let splitCursor: string | null = null;
  if (pageStatus === "SplitRequired" && readCursors.length >= 2) {
    splitCursor = readCursors[Math.floor((readCursors.length - 1) / 2)];
  } else if (pageStatus === null && rowsRead > pageSize + 1 && readCursors.length >= 2) {
    pageStatus = "SplitRecommended";
    splitCursor = readCursors[Math.floor((readCursors.length - 1) / 2)];
  }
  return { page, isDone: continueCursor === "_end_cursor", continueCursor, splitCursor, pageStatus };
}
