/**
 * Offline codegen for the component and the example app (`npm run codegen`, `npm run codegen:check`).
 *
 * `npx convex codegen` needs a deployment for component types, so this script writes the same files from
 * Convex's own codegen templates plus the functions' own validators (ComponentApi). `--check` exits 1 and
 * names every file that differs from what would be written.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as prettier from "prettier";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TEMPLATES = join(ROOT, "node_modules/convex/dist/esm/cli/codegen_templates");
const tpl = async (name: string) => await import(pathToFileURL(join(TEMPLATES, name)).href);

const EXCLUDED = new Set(["schema.ts", "convex.config.ts", "auth.config.ts", "actor.ts"]);

function listModules(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "_generated" && entry.name !== "node_modules") walk(p);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts")) {
        const rel = relative(dir, p);
        if (!EXCLUDED.has(rel)) out.push(rel);
      }
    }
  };
  walk(dir);
  return out.sort();
}

type Fn = {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isPublic?: boolean;
  exportArgs: () => string;
  exportReturns: () => string;
};

async function componentApiTs(dir: string, modules: string[]): Promise<string> {
  const { validatorToType } = await tpl("validator_helpers.js");
  const { header } = await tpl("common.js");
  const tree: Record<string, string[]> = {};
  for (const mod of modules) {
    const exports = await import(pathToFileURL(join(dir, mod)).href);
    const entries: string[] = [];
    for (const [name, value] of Object.entries(exports).sort(([a], [b]) => a.localeCompare(b))) {
      const fn = value as unknown as Fn & ((...a: unknown[]) => unknown);
      if (typeof value !== "function" || !(fn.isQuery || fn.isMutation || fn.isAction) || !fn.isPublic) continue;
      const kind = fn.isQuery ? "query" : fn.isMutation ? "mutation" : "action";
      const args = validatorToType(JSON.parse(fn.exportArgs()), false);
      const returns = validatorToType(JSON.parse(fn.exportReturns()), false);
      entries.push(`${name}: FunctionReference<"${kind}", "internal", ${args}, ${returns}, Name>;`);
    }
    if (entries.length) tree[mod.replace(/\.ts$/, "")] = entries;
  }
  const body = Object.entries(tree)
    .map(([mod, entries]) => `${JSON.stringify(mod)}: {\n${entries.join("\n")}\n};`)
    .join("\n");
  return `${header("Generated `ComponentApi` utility.")}
import type { FunctionReference } from "convex/server";

/** The component's public functions, as the app that mounts it sees them (\`components.codexConvex\`). */
export type ComponentApi<Name extends string | undefined = string | undefined> = {
${body}
};
`;
}

// Convex's dataModel template module imports CLI internals (chalk) that the package does not ship, so this one
// is written here: the same types, derived from the schema at type-check time.
function dataModelTs(hasSchema: boolean, header: (s: string) => string): string {
  if (!hasSchema) {
    return `${header("Generated data model types.")}
import type { AnyDataModel } from "convex/server";
import type { GenericId } from "convex/values";
export type TableNames = string;
export type Doc = any;
export type Id<TableName extends TableNames = TableNames> = GenericId<TableName>;
export type DataModel = AnyDataModel;
`;
  }
  return `${header("Generated data model types.")}
import type { DataModelFromSchemaDefinition, DocumentByName, TableNamesInDataModel, SystemTableNames } from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

/** The names of all tables. */
export type TableNames = TableNamesInDataModel<DataModel>;

/** The type of a document stored in \`TableName\`. */
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;

/** An identifier for a document (a string at runtime). */
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;

/** The data model, derived from the schema. */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
`;
}

async function render(
  kind: "component" | "app",
  dir: string,
  componentImport = "../../component/_generated/component.js",
): Promise<Record<string, string>> {
  const { apiCodegen } = await tpl("api.js");
  const { componentServerTS } = await tpl("component_server.js");
  const modules = listModules(dir);
  let api: string = apiCodegen(modules, { useTypeScript: true }).TS;
  api = api.replace('import { anyApi } from "convex/server";', 'import { anyApi, componentsGeneric } from "convex/server";');
  if (kind === "component") {
    api += "\nexport const components = componentsGeneric() as unknown as {};\n";
  } else {
    api = api.replace(
      'import { anyApi, componentsGeneric } from "convex/server";',
      `import { anyApi, componentsGeneric } from "convex/server";\nimport type { ComponentApi } from "${componentImport}";`,
    );
    api += '\nexport const components = componentsGeneric() as unknown as {\n  codexConvex: ComponentApi<"codexConvex">;\n};\n';
  }
  const files: Record<string, string> = {
    "api.ts": api,
    "server.ts": componentServerTS(kind === "app", undefined),
    "dataModel.ts": dataModelTs(existsSync(join(dir, "schema.ts")), (await tpl("common.js")).header),
  };
  // Bootstrap: component.ts imports the modules, which import _generated/server.js.
  if (!existsSync(join(dir, "_generated", "server.ts"))) {
    mkdirSync(join(dir, "_generated"), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "_generated", name), text);
  }
  if (kind === "component") files["component.ts"] = await componentApiTs(dir, modules);
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    out[name] = await prettier.format(text, { parser: "typescript" });
  }
  return out;
}

/** `--app-dir DIR`: write _generated/ for a consumer's app (convex/ folder) that mounts the published package. */
async function writeConsumerApp(dir: string) {
  const gen = join(dir, "_generated");
  mkdirSync(gen, { recursive: true });
  for (const [name, text] of Object.entries(await render("app", dir, "codex-convex/_generated/component.js"))) {
    writeFileSync(join(gen, name), text);
  }
  console.error(`✓ codegen written to ${gen}`);
}

async function main() {
  const appDirAt = process.argv.indexOf("--app-dir");
  if (appDirAt >= 0) return await writeConsumerApp(process.argv[appDirAt + 1]);
  const check = process.argv.includes("--check");
  const problems: string[] = [];
  for (const kind of ["component", "app"] as const) {
    const dir = join(ROOT, kind);
    const gen = join(dir, "_generated");
    mkdirSync(gen, { recursive: true });
    for (const [name, text] of Object.entries(await render(kind, dir))) {
      const path = join(gen, name);
      const current = existsSync(path) ? readFileSync(path, "utf8") : null;
      if (current === text) continue;
      if (check) problems.push(`${relative(ROOT, path)}: ${current === null ? "missing" : "differs from codegen"}`);
      else writeFileSync(path, text);
    }
  }
  if (problems.length) {
    for (const p of problems) console.error(`✗ ${p}`);
    console.error("run `npm run codegen` in convex/ and commit the result");
    process.exit(1);
  }
  console.error(check ? "✓ _generated/ matches codegen" : "✓ codegen written");
}

await main();
