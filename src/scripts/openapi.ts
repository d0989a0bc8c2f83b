/** `npm run openapi`: writes openapi/openapi.json from the route schemas. */
import { writeFileSync } from 'node:fs';
import { renderOpenApiDocument } from '../openapi-document.js';

const target = new URL('../../openapi/openapi.json', import.meta.url);
writeFileSync(target, await renderOpenApiDocument());
console.log(`wrote ${target.pathname}`);
