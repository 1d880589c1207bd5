// @vitest-environment node
// Durable answers: a commit is in the WAL when it returns and on disk once the WAL's fsync (off the main thread) has
// completed; commits made during one fsync share the next; no answer to a write leaves before the commits made so
// far are on disk (a sync-protocol connection holds it, and what it sends after it, in order; a close waits behind
// them); query results leave at once.
import { expect, test } from "vitest";
import type { WebSocket } from "ws";
import type { Write } from "./store.js";
import { Connection } from "./syncProtocol.js";
import { tempStore } from "./testing.js";

const store = tempStore("durability-");
store.useSchema("d", new Map([["rows", []]]));
let next = 70000;
function commitOne() {
  const id = `${next++}rows`;
  const w: Write = { comp: "d", id, before: null, after: { _id: id, _creationTime: next } };
  store.commit([w], new Map());
}
/** Until the tasks queued so far ran (the store starts a commit's fsync once the task that committed is done). */
const nextTask = () => new Promise<void>((resume) => setImmediate(resume));
const settled = async (p: Promise<void> | undefined) => {
  let done = p === undefined;
  void p?.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

test("a commit is durable once its WAL fsync completes; commits made meanwhile share the next fsync", async () => {
  await store.whenDurable(); // whatever the set-up wrote, on the real fsync
  expect(store.whenDurable()).toBeUndefined();
  const held: Array<(err: NodeJS.ErrnoException | null) => void> = [];
  const real = store.syncFile;
  store.syncFile = (_fd, done) => held.push(done);
  try {
    commitOne();
    const first = store.commitSeq;
    const a = store.whenDurable();
    expect(held).toHaveLength(0); // started once this task is done: what the commit changed is pushed first
    await nextTask();
    expect(held).toHaveLength(1);
    expect(await settled(a)).toBe(false); // written, not yet on disk: nobody may be told
    commitOne();
    commitOne();
    await nextTask();
    expect(held).toHaveLength(1); // one fsync at a time
    const c = store.whenDurable();
    held.shift()!(null);
    expect(await settled(a)).toBe(true);
    expect(store.whenDurable(first)).toBeUndefined();
    expect(await settled(c)).toBe(false);
    expect(held).toHaveLength(1); // the next fsync, for both commits made meanwhile
    held.shift()!(null);
    expect(await settled(c)).toBe(true);
    expect(store.whenDurable()).toBeUndefined();
  } finally {
    store.syncFile = real;
  }
  commitOne(); // and on the real fsync
  await store.whenDurable();
  expect(store.whenDurable()).toBeUndefined();
});

test("a failed fsync is reported and the commits it held are never called durable", async () => {
  await store.whenDurable();
  const real = store.syncFile;
  const onFailure = store.onSyncFailure;
  const failures: Error[] = [];
  store.syncFile = (_fd, done) => done(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }));
  store.onSyncFailure = (e) => failures.push(e);
  try {
    commitOne();
    await nextTask();
    expect(failures.map((e) => e.message)).toEqual(["EIO: i/o error, fsync"]);
    expect(await settled(store.whenDurable())).toBe(false);
  } finally {
    store.syncFile = real;
    store.onSyncFailure = onFailure;
  }
});

function fakeSocket() {
  const sent: string[] = [];
  const closed: Array<[number, string]> = [];
  const ws = { OPEN: 1, readyState: 1, send: (t: string) => sent.push(t), close: (code: number, reason: string) => closed.push([code, reason]) };
  return { ws: ws as unknown as WebSocket, sent, closed };
}

function fakeDurability() {
  const d = { seq: 0, durable: 0, waits: [] as Array<{ seq: number; resolve: () => void }> };
  const api = {
    commitSeq: () => d.seq,
    whenDurable: (seq = d.seq) => (d.durable >= seq ? undefined : new Promise<void>((resolve) => d.waits.push({ seq, resolve }))),
  };
  const syncTo = async (n: number) => {
    d.durable = n;
    for (const w of d.waits.filter((w) => w.seq <= n)) w.resolve();
    d.waits = d.waits.filter((w) => w.seq > n);
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { d, api, syncTo };
}

test("a connection holds a write's answer until the commits made so far are on disk, and what follows it; query results leave at once", async () => {
  const { ws, sent, closed } = fakeSocket();
  const { d, api, syncTo } = fakeDurability();
  const c = new Connection(ws, 1, 60_000, api);
  const types = () => sent.map((t) => JSON.parse(t).type);
  try {
    c.send({ type: "Ping" });
    d.seq = 1; // a commit, not yet on disk
    c.send({ type: "Transition", n: 1 }); // a query result: at once
    expect(types()).toEqual(["Ping", "Transition"]);
    c.send({ type: "MutationResponse", n: 1 }); // acknowledges the write: waits for the disk
    d.seq = 2;
    c.send({ type: "Transition", n: 2 }); // behind the answer, in order
    c.send({ type: "ActionResponse", n: 2 });
    expect(types()).toEqual(["Ping", "Transition"]);
    await syncTo(1);
    expect(types()).toEqual(["Ping", "Transition", "MutationResponse", "Transition"]);
    c.fatal("stop"); // behind what waits: the FatalError, then the close
    expect(closed).toEqual([]);
    await syncTo(2);
    expect(types()).toEqual(["Ping", "Transition", "MutationResponse", "Transition", "ActionResponse", "FatalError"]);
    expect(closed).toEqual([[1011, "FatalError"]]);
    c.send({ type: "Ping" }); // closed: nothing more
    expect(sent).toHaveLength(6);
  } finally {
    c.close();
  }
});

test("nothing written is waited for: messages leave at once", () => {
  const { ws, sent } = fakeSocket();
  const { api } = fakeDurability();
  const c = new Connection(ws, 2, 60_000, api);
  try {
    c.send({ type: "MutationResponse", n: 0 });
    c.send({ type: "Transition", n: 0 });
    expect(sent).toHaveLength(2);
  } finally {
    c.close();
  }
});
