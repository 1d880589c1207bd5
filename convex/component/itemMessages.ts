/**
 * How a Codex `ThreadItem` reads as a conversation message: role, status, text and a one-line summary.
 * Pure functions over the item JSON (unit-tested); ingest.ts applies them.
 */
import type { MessageStatus } from "./validators.js";

export type Role = "user" | "assistant" | "tool" | "system";

export type MessageView = { role: Role; status: MessageStatus; text: string; summary?: string } | null;

type Json = Record<string, unknown>;

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function statusOf(item: Json, phase: "started" | "updated" | "completed"): MessageStatus {
  const s = str(item.status);
  if (s === "declined") return "declined";
  if (s === "failed") return "failed";
  if (s === "interrupted") return "interrupted";
  return phase === "completed" ? "completed" : "streaming";
}

/** Reasoning summary parts are shown one after another, a blank line between (as Codex streams them). */
export const REASONING_PART_SEPARATOR = "\n\n";

/**
 * `null` for items that are not shown as messages (context compaction…). Reasoning shows as an assistant message of
 * kind `reasoning` whose text is its summary (empty when the model gave none; its raw content is not shown).
 */
export function messageView(item: Json, phase: "started" | "updated" | "completed"): MessageView {
  const status = statusOf(item, phase);
  switch (item.type) {
    case "userMessage": {
      const parts = Array.isArray(item.content) ? (item.content as Json[]) : [];
      const text = parts.map((p) => str(p.text)).filter(Boolean).join("\n");
      return { role: "user", status: "completed", text };
    }
    case "agentMessage":
      return { role: "assistant", status, text: str(item.text) };
    case "reasoning": {
      const summary = Array.isArray(item.summary) ? (item.summary as unknown[]) : [];
      return { role: "assistant", status, text: summary.map(str).join(REASONING_PART_SEPARATOR) };
    }
    case "commandExecution":
      return { role: "tool", status, text: str(item.aggregatedOutput), summary: str(item.command) };
    case "fileChange": {
      const changes = Array.isArray(item.changes) ? (item.changes as Json[]) : [];
      return { role: "tool", status, text: changes.map((c) => str(c.diff)).join("\n"), summary: changes.map((c) => str(c.path)).join(", ") };
    }
    case "mcpToolCall":
      return { role: "tool", status, text: "", summary: `${str(item.server)}.${str(item.tool)}` };
    default:
      return null;
  }
}
