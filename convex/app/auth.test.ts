/**
 * The auth matrix: every endpoint of the contract × {no identity, another user} is refused or sees nothing, and
 * writes nothing. Endpoints come from the contract, so a new endpoint cannot skip this test.
 */
import { describe, expect, it } from "vitest";
import { makeFunctionReference } from "convex/server";
import { contract } from "../contract/hostContract.js";
import componentSchema from "../component/schema.js";
import { initAppTest } from "../testing/app.js";

const ALICE = { subject: "alice", issuer: "https://dev.codex-convex.local", tokenIdentifier: "https://dev.codex-convex.local|alice" };
const BOB = { subject: "bob", issuer: "https://dev.codex-convex.local", tokenIdentifier: "https://dev.codex-convex.local|bob" };
const page = { numItems: 10, cursor: null };
const at = 1_700_000_000_000;

type Setup = { conversationId: string; sourceId: string; deletionJobId: string; hostSessionId: string; interruptId: string; clientMessageId: string };
/** Arguments for each endpoint aimed at alice's data. */
const ARGS: Record<keyof typeof contract.endpoints, (s: Setup) => Record<string, unknown>> = {
  validateHostWiring: (s) => ({ conversationId: s.conversationId }),
  newConversation: () => ({ title: "intruder" }),
  syncOpenConversationBinding: (s) => ({ threadId: "th-alice", conversationId: s.conversationId }),
  markConversationSyncProgress: (s) => ({ conversationId: s.conversationId, syncState: "synced" }),
  forceRebindConversationSync: (s) => ({ conversationId: s.conversationId, threadId: "th-evil" }),
  archiveConversation: (s) => ({ conversationId: s.conversationId }),
  unarchiveConversation: (s) => ({ conversationId: s.conversationId }),
  listConversations: () => ({ paginationOpts: page }),
  getConversation: (s) => ({ conversationId: s.conversationId }),
  getConversationSummary: (s) => ({ conversationId: s.conversationId }),
  listThreadsForConversation: (s) => ({ conversationId: s.conversationId }),
  ingestEvents: (s) => ({ conversationId: s.conversationId, streamId: "x", seq: 1, events: [{ type: "turnStarted", threadId: "th-alice", turnId: "evil", at }] }),
  getConversationView: (s) => ({ conversationId: s.conversationId }),
  listMessages: (s) => ({ conversationId: s.conversationId, paginationOpts: page }),
  getTurn: () => ({ threadId: "th-alice", turnId: "t1" }),
  getMessageText: () => ({ threadId: "th-alice", turnId: "t1", itemId: "m1" }),
  listConversationForks: (s) => ({ conversationId: s.conversationId }),
  listConversationAgents: (s) => ({ conversationId: s.conversationId }),
  requestInterrupt: (s) => ({ conversationId: s.conversationId }),
  requestGoalResume: (s) => ({ conversationId: s.conversationId }),
  requestGoal: (s) => ({ conversationId: s.conversationId, objective: "ship it" }),
  getInterruptRequest: (s) => ({ conversationId: s.conversationId }),
  markInterruptHandled: (s) => ({ requestId: s.interruptId, outcome: "idle" }),
  sendClientMessage: (s) => ({ conversationId: s.conversationId, text: "hello" }),
  listQueuedClientMessages: (s) => ({ conversationId: s.conversationId }),
  getClientMessage: (s) => ({ messageId: s.clientMessageId }),
  takeClientMessage: (s) => ({ messageId: s.clientMessageId }),
  markClientMessageHandled: (s) => ({ messageId: s.clientMessageId, state: "stale" }),
  getMessageSegments: () => ({ threadId: "th-alice", turnId: "t1", itemId: "m1" }),
  listStreamingMessages: (s) => ({ conversationId: s.conversationId }),
  getItemJson: () => ({ threadId: "th-alice", turnId: "t1", itemId: "m1" }),
  listTurns: () => ({ threadId: "th-alice", paginationOpts: page }),
  getThreadJson: () => ({ threadId: "th-alice" }),
  getThreadSyncState: () => ({ threadId: "th-alice" }),
  listPendingServerRequests: (s) => ({ conversationId: s.conversationId }),
  getServerRequest: () => ({ threadId: "th-alice", turnId: "t1", requestId: "0" }),
  respondServerRequest: () => ({ threadId: "th-alice", turnId: "t1", requestId: "0", decision: "accept" }),
  getTokenUsage: (s) => ({ conversationId: s.conversationId }),
  startConversationSyncSource: (s) => ({ threadId: "th-alice", conversationId: s.conversationId, idempotencyKey: "k" }),
  listConversationSyncSourceChunks: (s) => ({ sourceId: s.sourceId }),
  appendConversationSyncSourceChunk: (s) => ({ sourceId: s.sourceId, chunkIndex: 1, payload: "[]", sha256: "0".repeat(64), recordCount: 0 }),
  sealConversationSyncSource: (s) => ({ sourceId: s.sourceId, totalChunks: 1, totalRecords: 1, totalBytes: 1, rootHash: "0".repeat(64) }),
  cancelConversationSyncJob: (s) => ({ jobId: s.sourceId }),
  getConversationSyncJob: (s) => ({ conversationId: s.conversationId }),
  listConversationSyncJobs: () => ({ paginationOpts: page }),
  deleteThread: () => ({ threadId: "th-alice" }),
  scheduleDeleteThread: () => ({ threadId: "th-alice", delayMs: 1000 }),
  deleteTurn: () => ({ threadId: "th-alice", turnId: "t1" }),
  scheduleDeleteTurn: () => ({ threadId: "th-alice", turnId: "t1", delayMs: 1000 }),
  purgeActorData: () => ({}),
  schedulePurgeActorData: () => ({ delayMs: 1000 }),
  cancelDeletion: (s) => ({ jobId: s.deletionJobId }),
  forceRunDeletion: (s) => ({ jobId: s.deletionJobId }),
  getDeletionStatus: (s) => ({ jobId: s.deletionJobId }),
  previewDeletion: () => ({ threadId: "th-alice" }),
  listConversationSyncSources: () => ({ paginationOpts: page }),
  listDeletionJobs: () => ({ paginationOpts: page }),
  openHostSession: () => ({ hostId: "alice-laptop", label: "evil", version: "0" }),
  heartbeatHostSession: (s) => ({ sessionId: s.hostSessionId }),
  closeHostSession: (s) => ({ sessionId: s.hostSessionId }),
};

async function aliceWorld() {
  const t = initAppTest();
  const a = t.withIdentity(ALICE);
  const ref = (name: string, kind: "query" | "mutation") => makeFunctionReference<typeof kind>(`chat:${name}`) as any;
  const session = await a.mutation(ref("openHostSession", "mutation"), { hostId: "alice-laptop", label: "laptop", version: "1" });
  const { conversation } = await a.mutation(ref("syncOpenConversationBinding", "mutation"), { threadId: "th-alice", hostSessionId: session.sessionId });
  await a.mutation(ref("ingestEvents", "mutation"), {
    conversationId: conversation.conversationId, streamId: "host", seq: 0, events: [
      { type: "turnStarted", threadId: "th-alice", turnId: "t1", at },
      { type: "item", threadId: "th-alice", turnId: "t1", itemId: "u1", phase: "completed", itemType: "userMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "userMessage", id: "u1", content: [{ type: "text", text: "secret" }] }), at },
      { type: "serverRequest", threadId: "th-alice", turnId: "t1", requestId: "0", method: "item/commandExecution/requestApproval", paramsJson: "{}", at },
      { type: "tokenUsage", threadId: "th-alice", turnId: "t1", totalTokens: 5, inputTokens: 1, cachedInputTokens: 0, outputTokens: 4, reasoningOutputTokens: 0, lastTotalTokens: 5, at },
    ],
  });
  // runInComponent is on convex-test's object but not in its types.
  const { source } = await a.mutation(ref("startConversationSyncSource", "mutation"), { threadId: "th-alice", idempotencyKey: "alice-import" });
  const deletion = await a.mutation(ref("scheduleDeleteTurn", "mutation"), { threadId: "th-alice", turnId: "t1", delayMs: 3_600_000 });
  const interrupt = await a.mutation(ref("requestInterrupt", "mutation"), { conversationId: conversation.conversationId });
  const message = await a.mutation(ref("sendClientMessage", "mutation"), { conversationId: conversation.conversationId, text: "secret" });
  const snapshot = () => (t as unknown as { runInComponent: (p: string, f: (ctx: any) => Promise<unknown>) => Promise<Record<string, unknown[]>> }).runInComponent("codexConvex", async (ctx: any) => {
    const out: Record<string, unknown[]> = {};
    for (const table of Object.keys(componentSchema.tables)) out[table] = await ctx.db.query(table).collect();
    return out;
  });
  return { t, ref, setup: { conversationId: conversation.conversationId as string, sourceId: source.sourceId as string, deletionJobId: deletion.jobId as string, hostSessionId: session.sessionId as string, interruptId: interrupt.requestId as string, clientMessageId: message.messageId as string }, snapshot };
}

function leaks(result: unknown): boolean {
  const text = JSON.stringify(result ?? null);
  return text.includes("secret") || text.includes("th-alice") || /"totalTokens":5/.test(text);
}

describe("auth matrix", () => {
  it("covers every endpoint of the contract", () => {
    expect(Object.keys(ARGS).sort()).toEqual(Object.keys(contract.endpoints).sort());
  });

  for (const [name, ep] of Object.entries(contract.endpoints)) {
    it(`${name}: no identity → E_AUTH_REQUIRED, nothing written`, async () => {
      const { t, ref, setup, snapshot } = await aliceWorld();
      const before = await snapshot();
      const call = ep.kind === "query" ? t.query(ref(name, "query"), ARGS[name as keyof typeof ARGS](setup)) : t.mutation(ref(name, "mutation"), ARGS[name as keyof typeof ARGS](setup));
      await expect(call).rejects.toThrow(/E_AUTH_REQUIRED/);
      expect(await snapshot()).toEqual(before);
    });

    it(`${name}: another user → refused or nothing of alice's, nothing of alice's changed`, async () => {
      const { t, ref, setup, snapshot } = await aliceWorld();
      const before = await snapshot();
      const b = t.withIdentity(BOB);
      let result: unknown;
      try {
        result = ep.kind === "query" ? await b.query(ref(name, "query"), ARGS[name as keyof typeof ARGS](setup)) : await b.mutation(ref(name, "mutation"), ARGS[name as keyof typeof ARGS](setup));
      } catch (e) {
        expect(String(e)).toMatch(/E_[A-Z_]+/);
        expect(await snapshot()).toEqual(before);
        return;
      }
      expect(leaks(result)).toBe(false);
      const after = await snapshot();
      // Only rows owned by bob may have appeared (newConversation creates bob's own conversation).
      for (const [table, rows] of Object.entries(after)) {
        const aliceRowsBefore = (before[table] as Array<{ actor?: string }>).filter((r) => r.actor !== BOB.tokenIdentifier);
        const aliceRowsAfter = (rows as Array<{ actor?: string }>).filter((r) => r.actor !== BOB.tokenIdentifier);
        expect(aliceRowsAfter).toEqual(aliceRowsBefore);
      }
    });
  }
});
