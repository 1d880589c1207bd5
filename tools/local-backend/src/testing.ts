// Shared by the store's tests: a Store in a temporary folder (removed after the file's tests), a seeded generator.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { Store } from "./store.js";

export function tempStore(prefix: string): Store {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = new Store(dir);
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Numbers in [0, 1), the same ones for the same seed. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}
