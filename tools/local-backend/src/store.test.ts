// @vitest-environment node
// A commit keeps every index equal to its documents: after random inserts, patches (some moving a row in an index,
// most not) and deletes, each index's entries are the brute-force answer, and every key a write moved from, moved
// to or stayed at is reported as touched (readers of it are re-run: the document under an unchanged key changed).
import { expect, test } from "vitest";
import { encodeKey, prefixEnd } from "./keys.js";
import { keyOf, type Doc, type Write } from "./store.js";
import { rng, tempStore } from "./testing.js";

const store = tempStore("store-");

test("indexes equal their documents after patches that keep or move keys; every key touched is reported", () => {
  const r = rng(7);
  const comp = "s";
  store.useSchema(comp, new Map([["rows", [{ name: "by_group", fields: ["group"] }, { name: "by_group_n", fields: ["group", "n"] }]]]));
  const live = new Map<string, Doc>();
  let next = 50000;
  const all = { lo: Buffer.alloc(0), hi: null };
  for (let round = 0; round < 60; round++) {
    const writes: Write[] = [];
    const ids = [...live.keys()];
    for (let k = 0; k < 12; k++) {
      const p = r();
      if (p < 0.3 || ids.length === 0) {
        const id = `${next++}rows`;
        writes.push({ comp, id, before: null, after: { _id: id, _creationTime: round * 100 + k, group: Math.floor(r() * 3), n: Math.floor(r() * 5), text: "" } });
      } else {
        const id = ids.splice(Math.floor(r() * ids.length), 1)[0];
        const before = live.get(id)!;
        const q = r();
        const after = q < 0.15 ? null : q < 0.35 ? { ...before, n: Math.floor(r() * 5) } : { ...before, text: before.text + "x" };
        writes.push({ comp, id, before, after });
      }
    }
    const touched = new Set<string>();
    store.commit(writes, new Map(), (space, key) => touched.add(`${space}|${key.toString("hex")}`));
    for (const w of writes) {
      if (w.after) live.set(w.id, w.after);
      else live.delete(w.id);
    }
    for (const { name, ix, fields } of store.indexesOf(comp, "rows")) {
      const want = [...live.values()].map((d) => ({ key: keyOf(d, fields), id: d._id })).sort((a, b) => Buffer.compare(a.key, b.key));
      expect([...store.entries(ix, all, "asc")].map((e) => e.id)).toEqual(want.map((e) => e.id));
      for (const w of writes) {
        for (const d of [w.before, w.after]) {
          if (d) expect(touched.has(`${comp}/rows/${name}|${keyOf(d, fields).toString("hex")}`)).toBe(true);
        }
      }
    }
  }
});

test("index ranges read again after commits (kept in memory until their index changes) equal their documents", () => {
  // Rounds of one kind each: patches that keep every key (the range batches read before stay valid and are served
  // from memory), patches that move rows, deletes, inserts. After each, every group's range in both orders of both
  // indexes, and every document by id, is the brute-force answer.
  const r = rng(11);
  const comp = "c";
  store.useSchema(comp, new Map([["rows", [{ name: "by_group", fields: ["group"] }, { name: "by_group_n", fields: ["group", "n"] }]]]));
  const live = new Map<string, Doc>();
  let next = 70000;
  const check = () => {
    for (const { name, ix, fields } of store.indexesOf(comp, "rows")) {
      if (!name.startsWith("by_group")) continue;
      for (const g of [0, 1, 2]) {
        const lo = encodeKey([g]);
        const want = [...live.values()].filter((d) => d.group === g).map((d) => ({ key: keyOf(d, fields), id: d._id }))
          .sort((a, b) => Buffer.compare(a.key, b.key)).map((e) => e.id);
        expect([...store.entries(ix, { lo, hi: prefixEnd(lo) }, "asc")].map((e) => e.id)).toEqual(want);
        expect([...store.entries(ix, { lo, hi: prefixEnd(lo) }, "desc")].map((e) => e.id)).toEqual([...want].reverse());
      }
    }
    for (const [id, d] of live) expect(store.get(comp, id)).toEqual(d);
  };
  for (let round = 0; round < 40; round++) {
    const kind = round < 4 ? "insert" : ["keep", "keep", "move", "delete", "insert"][Math.floor(r() * 5)];
    const ids = [...live.keys()];
    const writes: Write[] = [];
    for (let k = 0; k < 6; k++) {
      if (kind === "insert" || ids.length === 0) {
        const id = `${next++}rows`;
        writes.push({ comp, id, before: null, after: { _id: id, _creationTime: next, group: Math.floor(r() * 3), n: Math.floor(r() * 5), text: "" } });
        continue;
      }
      const id = ids.splice(Math.floor(r() * ids.length), 1)[0];
      const before = live.get(id)!;
      const after = kind === "delete" ? null : kind === "move" ? { ...before, n: before.n + 1 } : { ...before, text: `${before.text}x` };
      writes.push({ comp, id, before, after });
    }
    store.commit(writes, new Map());
    for (const w of writes) {
      if (w.after) live.set(w.id, w.after);
      else live.delete(w.id);
    }
    check();
  }
});
