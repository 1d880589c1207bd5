"""Deploy check: the npm package, installed into a throwaway app, bundles with the Convex CLI and loads in a
V8 context like Convex's runtime, offline.

    python tools/deploy_check.py [--work DIR] [--package-dir convex] [--keep]

The steps are the README's "Deploy to your Convex deployment" commands, run for real except the last network step:
``npm pack`` → ``npm install`` of the tarball (+ ``convex``) into a fresh app → ``codex-convex host-shim sync
--app-dir convex`` → ``convex.config.ts`` mounting the component and the example ``auth.config.ts`` → offline
codegen (``npx convex dev`` does this against a deployment) → ``tsc`` of the app with ``moduleResolution``
``Bundler`` and ``NodeNext`` → a vitest test of the app through the package's ``test`` export → ``npx convex deploy
--debug-bundle-path`` (the CLI's own push bundling of the app *and* the component, which stops before the network:
the deployment URL is 127.0.0.1:9, never reached) → the same bundling of the component's folder alone, to get its
modules on disk → every bundled module loaded in V8 with web globals only (``convex/scripts/loadBundles.mjs``) →
``auth.config`` evaluated without its settings (must fail, naming the variable) and with them.

Exit 0 when every step passes; 1 naming the failing step and its output otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONVEX_VERSION = "1.48.0"  # the peer range of convex/package.json (~1.48.0) is what this check installs
CONSUMER_DEV = ["convex-test@0.0.60", "vitest@4.1.12", "@edge-runtime/vm@5.0.0", "react@19", "@types/react@19"]
AUTH_ENV = {"CODEX_CONVEX_AUTH_ISSUER": "https://issuer.example", "CODEX_CONVEX_AUTH_JWKS":
            "https://issuer.example/.well-known/jwks.json", "CODEX_CONVEX_AUTH_AUDIENCE": "your-app"}
# Never reached: `deploy --debug-bundle-path` stops after bundling. A closed loopback port, so nothing leaves.
OFFLINE_DEPLOYMENT = {"CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:9", "CONVEX_SELF_HOSTED_ADMIN_KEY": "offline|0"}

CONVEX_CONFIG = """import { defineApp } from "convex/server";
import codexConvex from "codex-convex/convex.config";

const app = defineApp();
app.use(codexConvex);
export default app;
"""

# Type-checked, not run: the app's generated endpoints (api.chat, from the shim) are what the React hooks take, so a
# contract the hooks' types (codex-convex/react) disagree with fails to compile here.
APP_REACT = """import { useConversation, type CodexChatApi } from "codex-convex/react";
import { api } from "../convex/_generated/api.js";

export const endpoints: CodexChatApi = api.chat;
export function useTitle(conversationId: string): string | null {
  const c = useConversation(conversationId);
  return c.status === "ready" ? c.conversation.title : null;
}
"""

APP_TEST = """import { convexTest } from "convex-test";
import { register } from "codex-convex/test";
import { expect, test } from "vitest";
import { api } from "../convex/_generated/api.js";

const modules = import.meta.glob(["../convex/**/*.ts", "!../convex/auth.config.ts"]);

test("the published component runs under convex-test, mounted by this app", async () => {
  const t = convexTest(undefined, modules);
  register(t);
  const alice = t.withIdentity({ subject: "alice", issuer: "https://issuer.example" });
  const created = await alice.mutation(api.chat.newConversation, { title: "hello" });
  const listed = await alice.query(api.chat.listConversations, { paginationOpts: { numItems: 10, cursor: null } });
  expect(JSON.stringify(listed)).toContain(created.conversationId);
  await expect(t.mutation(api.chat.newConversation, {})).rejects.toThrow(/E_AUTH_REQUIRED/);
});
"""

VITEST_CONFIG = """import { defineConfig } from "vitest/config";
export default defineConfig({ test: { environment: "edge-runtime", server: { deps: { inline: ["convex-test"] } } } });
"""


class DeployCheckFailed(Exception):
    def __init__(self, step: str, output: str) -> None:
        super().__init__(f"{step}: {output[-4000:]}")
        self.step = step
        self.output = output


@dataclass
class DeployCheck:
    work: Path
    package_dir: Path = REPO / "convex"
    codex_convex: str = str(Path(sys.executable).parent / "codex-convex")
    steps: list[str] = field(default_factory=list)

    @property
    def app(self) -> Path:
        return self.work / "app"

    def run(self, step: str, cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
            expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "CI": "1", "CONVEX_IGNORE_SUSPICIOUS_ENV_VARS": "1", **(env or {})}
        for name in ("CONVEX_URL", "CONVEX_DEPLOYMENT", "CONVEX_DEPLOY_KEY"):
            full_env.pop(name, None)
        done = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
        if (done.returncode == 0) != expect_ok:
            raise DeployCheckFailed(step, f"$ {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
        self.steps.append(step)
        return done

    def npx(self, *args: str) -> list[str]:
        return ["npx", "--no-install", *args]

    def pack(self) -> Path:
        out = self.run("npm pack", ["npm", "pack", "--json", "--pack-destination", str(self.work)],
                       self.package_dir)
        start = out.stdout.index("[")  # prepack's build output comes first
        return self.work / json.loads(out.stdout[start:])[0]["filename"]

    def install(self, tarball: Path) -> None:
        self.app.mkdir(parents=True)
        (self.app / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "type": "module"}))
        npm_install = ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
        self.run("npm install (the package and convex)", [*npm_install, str(tarball), f"convex@{CONVEX_VERSION}"],
                 self.app)
        self.run("npm install (test tools)", [*npm_install, "--save-dev", *CONSUMER_DEV], self.app)

    def write_app(self) -> None:
        convex = self.app / "convex"
        self.run("codex-convex host-shim sync --app-dir convex",
                 [self.codex_convex, "host-shim", "sync", "--app-dir", "convex"], self.app)
        (convex / "convex.config.ts").write_text(CONVEX_CONFIG)
        shutil.copy(self.package_dir / "app" / "auth.config.ts", convex / "auth.config.ts")
        # `npx convex dev` writes _generated/ from the deployment; offline, the package's codegen writes the same.
        self.run("codegen (offline)", ["npx", "--no-install", "tsx", "scripts/codegen.ts", "--app-dir", str(convex)],
                 self.package_dir)
        (self.app / "tests").mkdir()
        (self.app / "tests" / "app.test.ts").write_text(APP_TEST)
        (self.app / "tests" / "react.ts").write_text(APP_REACT)
        (self.app / "vitest.config.ts").write_text(VITEST_CONFIG)

    def typecheck(self) -> None:
        tsc = str(self.package_dir / "node_modules" / ".bin" / "tsc")
        for resolution, module in (("Bundler", "ESNext"), ("NodeNext", "NodeNext")):
            config = self.app / f"tsconfig.{resolution}.json"
            config.write_text(json.dumps({"compilerOptions": {
                "target": "ES2022", "lib": ["ES2023", "DOM"], "module": module, "moduleResolution": resolution,
                "strict": True, "noEmit": True, "skipLibCheck": True, "isolatedModules": True,
                "types": ["vite/client"]}, "include": ["convex", "tests"]}))
            self.run(f"tsc (moduleResolution {resolution})", [tsc, "-p", str(config)], self.app)

    def vitest(self) -> None:
        self.run("vitest through codex-convex/test", self.npx("vitest", "run"), self.app)

    def bundle(self) -> tuple[Path, Path]:
        flags = ["--codegen", "disable", "--typecheck", "disable", "-y"]
        app_bundle = self.work / "bundle-app"
        self.run("npx convex deploy --debug-bundle-path (app + component)",
                 self.npx("convex", "deploy", "--debug-bundle-path", str(app_bundle), *flags), self.app,
                 OFFLINE_DEPLOYMENT)
        # The CLI writes only the root's modules to disk: bundle the component's folder as a root of its own
        # (the same esbuild call the push makes for each component) to load its modules too.
        comp = self.work / "component-as-root"
        shutil.copytree(self.app / "node_modules" / "codex-convex" / "dist" / "component", comp / "convex")
        for name in ("convex.config.js", "convex.config.d.ts"):
            (comp / "convex" / name).unlink()
        (comp / "node_modules").symlink_to(self.app / "node_modules")
        (comp / "package.json").write_text(json.dumps({"name": "component-as-root", "private": True,
                                                       "type": "module",
                                                       "dependencies": {"convex": CONVEX_VERSION}}))
        comp_bundle = self.work / "bundle-component"
        self.run("npx convex deploy --debug-bundle-path (component modules)",
                 self.npx("convex", "deploy", "--debug-bundle-path", str(comp_bundle), *flags), comp,
                 OFFLINE_DEPLOYMENT)
        return app_bundle / "isolate", comp_bundle / "isolate"

    def load(self, app_bundle: Path, comp_bundle: Path) -> None:
        loader = [sys_node(), "--experimental-vm-modules", str(self.package_dir / "scripts" / "loadBundles.mjs")]
        self.run("load every bundled module in V8 (web globals only)",
                 [*loader, "--env", json.dumps(AUTH_ENV), str(app_bundle), str(comp_bundle)], self.work)
        unset = self.run("auth.config without its settings fails the deploy", [*loader, str(app_bundle)],
                         self.work, expect_ok=False)
        if "CODEX_CONVEX_AUTH_ISSUER is not set" not in unset.stdout:
            raise DeployCheckFailed("auth.config without its settings names the missing setting", unset.stdout)

    def all(self) -> list[str]:
        self.work.mkdir(parents=True, exist_ok=True)
        tarball = self.pack()
        self.install(tarball)
        self.write_app()
        self.typecheck()
        self.vitest()
        app_bundle, comp_bundle = self.bundle()
        self.load(app_bundle, comp_bundle)
        return self.steps


def sys_node() -> str:
    """The Node the package runs the local backend on (≥ 22.13): the loader needs ES-module vm support."""
    from codex_convex.backend import NodeNotFoundError, find_node

    try:
        return find_node().path
    except NodeNotFoundError as exc:
        raise DeployCheckFailed("find node", exc.message) from exc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--package-dir", type=Path, default=REPO / "convex")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="codex-convex-deploy-check-"))
    try:
        steps = DeployCheck(work=work, package_dir=args.package_dir.resolve()).all()
    except DeployCheckFailed as e:
        print(f"✗ {e.step}\n{e.output[-4000:]}", file=sys.stderr)
        return 1
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for step in steps:
        print(f"✓ {step}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
