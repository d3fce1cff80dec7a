// Writes docs/openapi.json from controller/http/openapi.ts, then the typed client made from it
// (cli/generated/api.ts, bin/gen-client.ts): generated files, do not edit them by hand.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openapiDocument } from '../controller/http/openapi.ts';
import { writeClientTypes } from './gen-client.ts';

const file = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
fs.writeFileSync(file, `${JSON.stringify(openapiDocument(), null, 2)}\n`);
console.log(`wrote ${file}`);
console.log(`wrote ${await writeClientTypes()}`);
