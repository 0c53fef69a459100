// Validates the OpenAPI document on standard input against the OpenAPI 3.x JSON Schemas, with a
// validator that shares nothing with the server's generator (utoipa); prints the version it
// checked, or the errors and exits 1.
import { Validator } from "@seriousme/openapi-schema-validator";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const validator = new Validator();
const result = await validator.validate(JSON.parse(Buffer.concat(chunks).toString()));
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(JSON.stringify({ valid: true, version: validator.version }));
