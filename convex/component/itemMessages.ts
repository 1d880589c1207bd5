/**
 * How a Codex `ThreadItem` reads as a conversation message: role, status, text and a one-line summary.
 * Pure functions over the item JSON (unit-tested); ingest.ts applies them.
 */
import { MESSAGE_SUMMARY_MAX_CHARS } from "./limits.js";
import { cutText } from "./text.js";
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

/** What a web search did, in one line (Codex's `webSearch` item: its action, else its query). */
function webSearchSummary(item: Json): string {
  const action = (item.action ?? {}) as Json;
  const queries = Array.isArray(action.queries) ? (action.queries as unknown[]).map(str).filter(Boolean) : [];
  switch (action.type) {
    case "openPage":
      return `open ${str(action.url)}`;
    case "findInPage":
      return `find "${str(action.pattern)}" in ${str(action.url)}`;
    default:
      return `search ${str(action.query) || queries.join(" · ") || str(item.query)}`;
  }
}

/** The text parts of a tool's result (MCP content blocks, dynamic tools' content items): images are not text. */
function textParts(parts: unknown): string {
  return (Array.isArray(parts) ? (parts as Json[]) : []).filter((p) => p !== null && typeof p === "object" && typeof p.text === "string").map((p) => p.text as string).join("\n");
}

/** A user message's content: its text, and a line for each image it carries. */
function userText(content: unknown): string {
  const parts = Array.isArray(content) ? (content as Json[]) : [];
  return parts
    .map((p) => (p?.type === "localImage" ? `[image: ${str(p.path)}]` : p?.type === "image" ? "[image]" : str(p?.text)))
    .filter(Boolean)
    .join("\n");
}

/**
 * `null` for items that are not shown as messages (context compaction…). Reasoning shows as an assistant message of
 * kind `reasoning` whose text is its summary (empty when the model gave none; its raw content is not shown). A tool
 * the model used shows as a `tool` message: what it did in `summary` (a command, paths, a search, a tool's name), what
 * came back as text when it is text (never an image's bytes); the summary is cut to MESSAGE_SUMMARY_MAX_CHARS.
 */
export function messageView(item: Json, phase: "started" | "updated" | "completed"): MessageView {
  const view = fullView(item, phase);
  return view?.summary !== undefined ? { ...view, summary: cutText(view.summary, MESSAGE_SUMMARY_MAX_CHARS) } : view;
}

function fullView(item: Json, phase: "started" | "updated" | "completed"): MessageView {
  const status = statusOf(item, phase);
  switch (item.type) {
    case "userMessage":
      return { role: "user", status: "completed", text: userText(item.content) };
    case "agentMessage":
      return { role: "assistant", status, text: str(item.text) };
    case "plan":
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
    case "mcpToolCall": {
      const error = (item.error ?? null) as Json | null;
      const result = (item.result ?? null) as Json | null;
      return { role: "tool", status, text: error !== null ? str(error.message) : textParts(result?.content), summary: `${str(item.server)}.${str(item.tool)}` };
    }
    case "dynamicToolCall":
      return { role: "tool", status, text: textParts(item.contentItems), summary: [str(item.namespace), str(item.tool)].filter(Boolean).join(".") };
    case "collabAgentToolCall":
      return { role: "tool", status, text: str(item.prompt), summary: str(item.tool) };
    case "webSearch":
      return { role: "tool", status, text: "", summary: webSearchSummary(item) };
    case "imageView":
      return { role: "tool", status, text: "", summary: str(item.path) };
    case "imageGeneration":
      return { role: "tool", status, text: str(item.revisedPrompt), summary: str(item.savedPath) || "image" };
    case "enteredReviewMode":
      return { role: "system", status, text: str(item.review), summary: "review started" };
    case "exitedReviewMode":
      // the review's text follows as an agentMessage of its own (Codex records it after this item, interrupted or not)
      return { role: "system", status, text: "review ended", summary: "review ended" };
    default:
      return null;
  }
}
