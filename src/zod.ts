// zod, extended with `.openapi()` metadata. Schema modules import z from here
// so the extension is always in place before any schema is built.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
