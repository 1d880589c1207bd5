/** The deployment's timestamp: nanoseconds since the epoch, strictly increasing, never behind what a client saw. */
export class Clock {
  private ts = BigInt(Date.now()) * 1_000_000n;

  now(): bigint {
    return this.ts;
  }

  /** A new commit timestamp. */
  tick(): bigint {
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.ts = wall > this.ts ? wall : this.ts + 1n;
    return this.ts;
  }

  observe(ts: bigint) {
    if (ts > this.ts) this.ts = ts;
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
