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
