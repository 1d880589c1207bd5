import { describe, expect, it } from "vitest";
import { canMove, publicState, TERMINAL, type JobState } from "./syncJobState.js";

// One test per arrow of the job's state machine (syncJobState.ts), and the arrows that must not exist.
const ARROWS: Array<[JobState, JobState, string]> = [
  ["queued", "running", "the first step starts ingesting"],
  ["queued", "verifying", "a small job ingests everything in its first step"],
  ["queued", "retry_wait", "the first step hit a transient error"],
  ["queued", "cancelled", "cancelled, or replaced by a newer import"],
  ["queued", "failed", "bad data in the first step"],
  ["running", "running", "another ingest step"],
  ["running", "retry_wait", "a transient error: backoff with jitter"],
  ["running", "verifying", "every chunk ingested"],
  ["running", "failed", "bad data, or retries exhausted"],
  ["running", "cancelled", "cancelled while running"],
  ["retry_wait", "running", "the retry runs"],
  ["retry_wait", "verifying", "a verify step is retried"],
  ["retry_wait", "retry_wait", "the retry failed again"],
  ["retry_wait", "failed", "retries exhausted"],
  ["retry_wait", "cancelled", "cancelled while waiting"],
  ["verifying", "verifying", "another verify step"],
  ["verifying", "retry_wait", "a transient error while verifying"],
  ["verifying", "succeeded", "every record verified"],
  ["verifying", "failed", "a record is not stored as imported"],
  ["verifying", "cancelled", "cancelled while verifying"],
];

describe("sync job state machine", () => {
  for (const [from, to, why] of ARROWS) {
    it(`${from} -> ${to}: ${why}`, () => expect(canMove(from, to)).toBe(true));
  }
  it("no other arrow exists", () => {
    const all: JobState[] = ["queued", "running", "retry_wait", "verifying", "succeeded", "failed", "cancelled"];
    for (const from of all) for (const to of all) {
      expect(canMove(from, to), `${from} -> ${to}`).toBe(ARROWS.some(([f, t]) => f === from && t === to));
    }
  });
  it("terminal states never move and map to their public state", () => {
    for (const s of TERMINAL) expect(["synced", "failed", "cancelled"]).toContain(publicState(s));
    for (const s of ["queued", "running", "retry_wait", "verifying"] as const) expect(publicState(s)).toBe("syncing");
  });
});
