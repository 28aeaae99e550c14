// Validates a schema.prisma with Prisma's own schema engine (compiled to wasm: no engine
// download), then prints what Prisma makes of it: each model's table and each scalar field's
// column, as JSON. Exits 1 with the validator's message when the schema is not valid.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const wasm = createRequire(import.meta.url)("@prisma/prisma-schema-wasm");
const params = JSON.stringify({
  prismaSchema: [["schema.prisma", readFileSync(process.argv[2], "utf8")]],
  noColor: true,
});
try {
  wasm.validate(params);
} catch (error) {
  console.error(error.message ?? String(error));
  process.exit(1);
}
const { datamodel } = JSON.parse(wasm.get_dmmf(params));
const models = {};
for (const model of datamodel.models) {
  const columns = {};
  for (const field of model.fields) {
    if (field.kind !== "object") columns[field.name] = field.dbName ?? field.name;
  }
  models[model.name] = { table: model.dbName ?? model.name, columns };
}
console.log(JSON.stringify(models));
