/**
 * Every read has a byte budget, whatever the data (issue #16): the worst shapes a user can produce, read back under
 * convex-test's enforcement of Convex's transaction limits (16 MiB / 32,000 documents read per transaction).
 */
import { convexTest } from "convex-test";
import { describe, expect, it } from "vitest";
import { api } from "./_generated/api.js";
import schema from "./schema.js";
import { modules } from "../testing/component.js";
import { sha256Hex } from "./hashing.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;

/** The text of every page of a paged read (getItemJson, getMessageText), in order. */
async function concatPages(fetch: (from: number) => Promise<any>, text: string, next: string): Promise<string> {
  let out = "";
  for (let from: number | null = 0; from !== null; ) {
    const page = await fetch(from);
    out += page[text];
    from = page[next];
  }
  return out;
}

function limited() {
  return convexTest({ schema, modules, transactionLimits: true });
}

/** One turn holding 80 command outputs of 240 KB each (a build log read back page by page). */
async function bigTurn(t: ReturnType<typeof limited>) {
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th" });
  const conversationId = conversation.conversationId;
  await t.mutation(api.ingest.ingestBatch, { actor, conversationId, streamId: "s", seq: 0, events: [{ type: "turnStarted", threadId: "th", turnId: "t1", at }] });
  for (let i = 0; i < 80; i++) {
    const output = `${i}:`.padEnd(240_000, "log line ");
    const data = JSON.stringify({ type: "commandExecution", id: `c${i}`, command: `make ${i}`, aggregatedOutput: output, status: "completed" });
    await t.mutation(api.ingest.ingestBatch, {
      actor, conversationId, streamId: "s", seq: i + 1,
      events: [{ type: "item", threadId: "th", turnId: "t1", itemId: `c${i}`, phase: "completed", itemType: "commandExecution", part: 0, partCount: 1, data, at }],
    });
  }
  return conversationId;
}

describe("reads stay bounded on large but ordinary data", () => {
  it("a turn of 80 × 240 KB outputs: getTurn pages by bytes, listMessages and the view show each output's beginning", async () => {
    const t = limited();
    const conversationId = await bigTurn(t);
    const seen: string[] = [];
    let after: number | undefined;
    let pages = 0;
    for (;;) {
      const got = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1", afterOrdinal: after });
      if (!got.found) throw new Error("turn missing");
      pages += 1;
      for (const it of got.items) {
        expect(it.json).not.toBeNull();
        seen.push(JSON.parse(it.json!).id);
      }
      if (!got.hasMore) break;
      after = got.items.at(-1)!.ordinal;
    }
    expect(seen).toEqual(Array.from({ length: 80 }, (_, i) => `c${i}`));
    expect(pages).toBeGreaterThan(4); // ~19 MB of JSON: never one transaction
    const page = await t.query(api.messages.list, { actor, conversationId, paginationOpts: { numItems: 100, cursor: null } });
    expect(page.page).toHaveLength(80);
    expect(page.page.every((m) => m.textTruncated && m.textBytes >= 240_000)).toBe(true);
    const view = await t.query(api.views.conversationView, { actor, conversationId, numMessages: 100 });
    expect(view.found && view.messages.length).toBe(80);
  });

  it("an item over the inline size comes without its JSON in getTurn and whole through getItemJson", async () => {
    const t = limited();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th" });
    const json = JSON.stringify({ type: "commandExecution", id: "big", command: "cat big.log", aggregatedOutput: "z".repeat(1_500_000), status: "completed" });
    const parts = json.match(/[\s\S]{1,262144}/g)!;
    await t.mutation(api.ingest.ingestBatch, {
      actor, conversationId: conversation.conversationId, streamId: "s", seq: 0,
      events: [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, ...parts.map((data, part) => ({ type: "item" as const, threadId: "th", turnId: "t1", itemId: "big", phase: "completed" as const, itemType: "commandExecution", part, partCount: parts.length, data, at, ...(part === parts.length - 1 ? { view: null } : {}) }))],
    });
    const turn = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" });
    expect(turn).toMatchObject({ found: true, items: [{ itemId: "big", complete: true, json: null, partCount: parts.length }] });
    const data = await concatPages((from) => t.query(api.messages.getItemJson, { actor, threadId: "th", turnId: "t1", itemId: "big", fromPart: from }), "data", "nextPart");
    expect(data === json).toBe(true);
  });

  it("previewDeletion of a user with 40 chunks of 500 KB reads metadata, never payloads", async () => {
    const t = limited();
    await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "big" });
    const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "big", idempotencyKey: "big" });
    const filler = "z".repeat(500_000);
    for (let i = 0; i < 40; i++) {
      const payload = JSON.stringify([{ type: "lifecycle", threadId: "big", kind: "note", message: filler, at }]);
      await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: i, payload, sha256: sha256Hex(payload), recordCount: 1 });
    }
    for (const args of [{}, { threadId: "big" }]) {
      const preview = await t.query(api.threads.previewDeletion, { actor, ...args });
      expect(preview.counts).toMatchObject({ sync_chunks: 40, sync_chunk_payloads: 40, sync_sources: 1 });
      expect(preview.truncated).toBe(false);
    }
  });
});

describe("no transaction grows with an item's size", () => {
  const split = (s: string, n: number) => s.match(new RegExp(`[\\s\\S]{1,${n}}`, "g"))!;

  it("a 6 MB command output: parts stored as they come, the message built from the host's view and text segments", async () => {
    const t = limited();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th" });
    const conversationId = conversation.conversationId;
    const output = "build log line\n".repeat(400_000); // 6 MB
    const json = JSON.stringify({ type: "commandExecution", id: "c", command: "make", aggregatedOutput: output, status: "completed" });
    const parts = split(json, 262_144);
    const segments = split(output, 16_384);
    const view = { role: "tool" as const, status: "completed" as const, summary: "make", itemStatus: "completed", segmentCount: segments.length, textBytes: output.length };
    let seq = 0;
    const send = (events: any[]) => t.mutation(api.ingest.ingestBatch, { actor, conversationId, streamId: "s", seq: (seq += events.length) - events.length, events });
    await send([{ type: "turnStarted", threadId: "th", turnId: "t1", at }]);
    for (const [part, data] of parts.entries()) {
      await send([{ type: "item", threadId: "th", turnId: "t1", itemId: "c", phase: "completed", itemType: "commandExecution", part, partCount: parts.length, data, at, ...(part === parts.length - 1 ? { view } : {}) }]);
    }
    for (let i = 0; i < segments.length; i += 100) {
      await send(segments.slice(i, i + 100).map((text, k) => ({ type: "messageText", threadId: "th", turnId: "t1", itemId: "c", segment: i + k, text, at })));
    }
    const listed = (await t.query(api.messages.list, { actor, conversationId, paginationOpts: { numItems: 10, cursor: null } })).page[0];
    expect(listed).toMatchObject({ role: "tool", status: "completed", summary: "make", textBytes: output.length, textTruncated: true });
    const text = await concatPages((from) => t.query(api.messages.getMessageText, { actor, threadId: "th", turnId: "t1", itemId: "c", fromSegment: from }), "text", "nextSegment");
    expect(text === output).toBe(true);
  });

  it("a large item without the host's view is refused with its code, and the batch writes nothing", async () => {
    const t = limited();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th" });
    const json = JSON.stringify({ type: "agentMessage", id: "m", text: "w".repeat(1_200_000) });
    const parts = split(json, 262_144);
    const events = parts.map((data, part) => ({ type: "item" as const, threadId: "th", turnId: "t1", itemId: "m", phase: "completed" as const, itemType: "agentMessage", part, partCount: parts.length, data, at }));
    await expect(t.mutation(api.ingest.ingestBatch, { actor, conversationId: conversation.conversationId, streamId: "s", seq: 0, events })).rejects.toThrow(/E_INGEST_ITEM_VIEW_REQUIRED/);
    expect(await t.run(async (ctx) => (await ctx.db.query("item_parts").take(1)).length)).toBe(0);
  });
});
