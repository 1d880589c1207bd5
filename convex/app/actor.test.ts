import { describe, expect, it } from "vitest";
import { requireActor, requireActorOrDevice } from "./actor.js";

const ctx = (identity: object | null) => ({ auth: { getUserIdentity: async () => identity } }) as any;

describe("actor resolution", () => {
  it("an identity is the actor, whatever the arguments say", async () => {
    const id = { subject: "u", issuer: "i", tokenIdentifier: "i|u" };
    expect(await requireActor(ctx(id))).toBe("i|u");
    expect(await requireActorOrDevice(ctx(id), "device-aaaaaaaaaaaaaaaa")).toBe("i|u");
  });
  it("without identity: E_AUTH_REQUIRED, unless anonymous mode gets a device id", async () => {
    await expect(requireActor(ctx(null))).rejects.toThrow(/E_AUTH_REQUIRED/);
    expect(await requireActorOrDevice(ctx(null), "device-aaaaaaaaaaaaaaaa")).toBe("anon:device-aaaaaaaaaaaaaaaa");
  });
  it("anonymous scopes are per device, never shared, and need a real device id", async () => {
    const a = await requireActorOrDevice(ctx(null), "device-aaaaaaaaaaaaaaaa");
    const b = await requireActorOrDevice(ctx(null), "device-bbbbbbbbbbbbbbbb");
    expect(a).not.toBe(b);
    for (const bad of [undefined, "", "short", "has spaces in it!!!!!", "x".repeat(200)]) {
      await expect(requireActorOrDevice(ctx(null), bad)).rejects.toThrow(/E_AUTH_REQUIRED/);
    }
  });
});
