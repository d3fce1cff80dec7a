// Writes docs/openapi.json from controller/http/openapi.ts (generated file: do not edit by hand).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openapiDocument } from '../controller/http/openapi.ts';

const file = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
fs.writeFileSync(file, `${JSON.stringify(openapiDocument(), null, 2)}\n`);
console.log(`wrote ${file}`);
