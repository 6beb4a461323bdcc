import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generateOpenApiJson } from '../src/openapi-preview.js';
import { generateClientTypes } from './openapi-types.js';

/**
 * `npm run openapi`: writes the admin API spec to openapi.json and the typed client's types
 * generated from it to test/generated/admin-api.d.ts (both committed, both checked by tests).
 */
const root = join(import.meta.dirname, '..', '..');
const spec = await generateOpenApiJson();
const targets: [string, string][] = [
  [join(root, 'openapi.json'), spec],
  [join(root, 'test', 'generated', 'admin-api.d.ts'), await generateClientTypes(spec)],
];
for (const [target, content] of targets) {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
  console.log(`wrote ${target}`);
}
