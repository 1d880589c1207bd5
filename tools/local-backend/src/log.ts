/** Structured logs: one JSON object per line on stderr (stdout carries only the `listening` line). */
let verbose = false;

export function setVerbose(v: boolean) {
  verbose = v;
}

export function isVerbose() {
  return verbose;
}

export function log(event: string, fields: Record<string, unknown> = {}) {
  process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }) + "\n");
}

/**
 * Now on the monotonic clock, in ms with µs precision: the clock Python's `time.perf_counter()` reads on Linux
 * (CLOCK_MONOTONIC), so a client on the same machine can line its own times up with the backend's (the live
 * benchmark's timeline does, from the `--verbose` log).
 */
export function monotonicMs(): number {
  return Math.round(Number(process.hrtime.bigint()) / 1e3) / 1e3;
}
