// Prisma's own migration SQL for a PostgreSQL schema.prisma (`prisma migrate diff --from-empty
// --to-schema`), computed by Prisma's schema engine compiled to wasm (no engine download) over
// the PostgreSQL driver adapter (the wasm engine refuses MySQL adapters). Prints the script.
//
//   node prisma-migrate-diff.mjs <schema.prisma> <postgres://…>
import { readFileSync } from "node:fs";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

const [file, url] = process.argv.slice(2);
// The package is built for bundlers (`import … from "./x.wasm"`): instantiate it by hand.
const dir = new URL("./node_modules/@prisma/schema-engine-wasm/", import.meta.url);
const glue = await import(new URL("schema_engine_bg.js", dir).href);
const { instance } = await WebAssembly.instantiate(
  readFileSync(new URL("schema_engine_bg.wasm", dir)),
  { "./schema_engine_bg.js": glue },
);
glue.__wbg_set_wasm(instance.exports);
instance.exports.__wbindgen_start();

// The engine reports a panic through this global before it throws.
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (message) => console.error(message) };
const schema = readFileSync(file, "utf8");
const factory = new PrismaPg({ connectionString: url });
const engine = await glue.SchemaEngine.new(
  { datamodels: [["schema.prisma", schema]] },
  () => {},
  bindMigrationAwareSqlAdapterFactory(factory),
);
const { stdout } = await engine.diff({
  from: { tag: "empty" },
  to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schema }] },
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});
process.stdout.write(stdout ?? "");
process.exit(0);
