import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateOpenApiJson } from '../src/openapi-preview.js';

/** `npm run openapi`: writes the admin API spec to openapi.json (committed, checked by a test). */
const target = join(import.meta.dirname, '..', '..', 'openapi.json');
await writeFile(target, await generateOpenApiJson());
console.log(`wrote ${target}`);
