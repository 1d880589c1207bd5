// @vitest-environment node
// A transaction's view of an index range (committed entries merged with its own writes) equals the brute-force
// answer: apply the writes to the committed documents, keep those in the range, sort by key.
import { expect, test } from "vitest";
import { inRange, rangeOf } from "./keys.js";
import { keyOf, type Doc } from "./store.js";
import { rng, tempStore } from "./testing.js";
import { Pending, visibleEntries } from "./visible.js";

const store = tempStore("visible-");

test("merged range = brute force, both orders, random writes over random committed rows", () => {
  const r = rng(42);
  const comp = "c";
  store.useSchema(comp, new Map([["rows", [{ name: "by_group_n", fields: ["group", "n"] }]]]));
  const committed = new Map<string, Doc>();
  let next = 10000;
  const doc = (id: string, t: number): Doc => ({ _id: id, _creationTime: t, group: Math.floor(r() * 4), n: Math.floor(r() * 20) });
  const writes = [];
  for (let i = 0; i < 300; i++) {
    const id = `${next++}rows`;
    const d = doc(id, i);
    committed.set(id, d);
    writes.push({ comp, id, before: null, after: d });
  }
  store.commit(writes, new Map());
  const fields = store.indexesOf(comp, "rows", "by_group_n")[0].fields;
  const ix = store.indexesOf(comp, "rows", "by_group_n")[0].ix;
  const ids = [...committed.keys()];
  for (let round = 0; round < 200; round++) {
    // Two write levels (a nested mutation on top): inserts, patches that move rows between groups, deletes.
    const levels: Array<Record<string, Doc | null>> = [{}, {}];
    for (let k = 0; k < 25; k++) {
      const level = levels[Math.floor(r() * 2)];
      const p = r();
      if (p < 0.3) {
        const id = `${next++}rows`;
        level[id] = doc(id, 1000 + round * 100 + k);
      } else if (p < 0.7) {
        const id = ids[Math.floor(r() * ids.length)];
        level[id] = { ...committed.get(id)!, group: Math.floor(r() * 4), n: Math.floor(r() * 20) };
      } else level[ids[Math.floor(r() * ids.length)]] = null;
    }
    const group = Math.floor(r() * 4);
    const exprs = r() < 0.5
      ? [{ type: "Eq" as const, fieldPath: "group", value: group }]
      : [{ type: "Eq" as const, fieldPath: "group", value: group }, { type: "Gte" as const, fieldPath: "n", value: 5 }, { type: "Lt" as const, fieldPath: "n", value: 15 }];
    const range = rangeOf(fields, exprs)!;
    // Brute force: the documents as the transaction sees them.
    const view = new Map<string, Doc | null>(committed);
    for (const level of levels) for (const [id, d] of Object.entries(level)) view.set(id, d);
    const expected = [...view.values()]
      .filter((d): d is Doc => d !== null && inRange(keyOf(d, fields), range))
      .sort((a, b) => Buffer.compare(keyOf(a, fields), keyOf(b, fields)));
    for (const order of ["asc", "desc"] as const) {
      // Written one by one (the way convex-test adds them), and rebuilt from the levels (after a nested rollback).
      // The incremental one is read once between the levels, so its sorted keys are built, then kept up to date.
      const incremental = new Pending(store, comp);
      for (const [id, d] of Object.entries(levels[0])) incremental.write(id, d);
      [...visibleEntries(store, incremental, { table: "rows", index: "by_group_n", ix, range }, order)];
      for (const [id, d] of Object.entries(levels[1])) incremental.write(id, d);
      for (const pending of [incremental, Pending.of(store, comp, levels)]) {
        const got = [...visibleEntries(store, pending, { table: "rows", index: "by_group_n", ix, range }, order)];
        const want = order === "asc" ? expected : [...expected].reverse();
        expect(got.map((e) => e.id)).toEqual(want.map((d) => d._id));
        for (const e of got) expect(e.doc === null ? committed.get(e.id) : e.doc).toEqual(view.get(e.id));
      }
    }
  }
});

test("the view is taken when asked for: writes made while reading it do not change it", () => {
  const comp = "c";
  store.useSchema(comp, new Map([["rows", [{ name: "by_group_n", fields: ["group", "n"] }]]]));
  const ix = store.indexesOf(comp, "rows", "by_group_n")[0].ix;
  const fields = store.indexesOf(comp, "rows", "by_group_n")[0].fields;
  const range = rangeOf(fields, [{ type: "Eq", fieldPath: "group", value: 9 }])!;
  const pending = new Pending(store, comp);
  pending.write("90001rows", { _id: "90001rows", _creationTime: 1, group: 9, n: 1 });
  const view = visibleEntries(store, pending, { table: "rows", index: "by_group_n", ix, range }, "asc");
  pending.write("90002rows", { _id: "90002rows", _creationTime: 2, group: 9, n: 2 });
  pending.write("90001rows", null);
  expect([...view].map((e) => e.id)).toEqual(["90001rows"]);
  expect([...visibleEntries(store, pending, { table: "rows", index: "by_group_n", ix, range }, "asc")].map((e) => e.id)).toEqual(["90002rows"]);
});
