/** How far ahead of wall time a client-reported timestamp may be and still count (clock skew between processes). */
export const MAX_AHEAD_NS = 5_000_000_000n;

/** The deployment's timestamp: nanoseconds since the epoch, strictly increasing, never behind what a client saw. */
export class Clock {
  private ts = BigInt(Date.now()) * 1_000_000n;
  private committed = 0n;

  now(): bigint {
    return this.ts;
  }

  /** The timestamp of a commit that wrote data. */
  commit(): bigint {
    this.committed = this.tick();
    return this.committed;
  }

  /** When data last changed (0 before any write): a snapshot older than this cannot be read (no history kept). */
  lastCommit(): bigint {
    return this.committed;
  }

  /** A new commit timestamp. */
  tick(): bigint {
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.ts = wall > this.ts ? wall : this.ts + 1n;
    return this.ts;
  }

  /**
   * A timestamp a client reports having seen (Connect.maxObservedTimestamp). Only a plausible one moves the clock:
   * at most MAX_AHEAD_NS past wall time, as on Convex; anything further (e.g. 2^64−1 from a hostile client) is ignored,
   * so one frame cannot push the clock past what timestamps can encode.
   */
  observe(ts: bigint) {
    const limit = BigInt(Date.now()) * 1_000_000n + MAX_AHEAD_NS;
    if (ts > this.ts && ts <= limit) this.ts = ts;
  }
}

export function encodeTs(ts: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ts);
  return b.toString("base64");
}

export function decodeTs(s: string): bigint {
  const b = Buffer.from(s, "base64");
  return b.length === 8 ? b.readBigUInt64LE() : 0n;
}
