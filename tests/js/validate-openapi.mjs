// Validates an OpenAPI document with a real OpenAPI 3.1 schema validator; prints the errors and
// exits 1 when it is not valid.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

const validator = new Validator();
const result = await validator.validate(JSON.parse(readFileSync(process.argv[2], "utf8")));
if (validator.version !== "3.1") {
  console.error(`expected an OpenAPI 3.1 document, got ${validator.version}`);
  process.exit(1);
}
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log("valid OpenAPI", validator.version);
