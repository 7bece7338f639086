/**
 * The spec, the handlers and the models use the tree-shakable `zod/mini` API (a few KB in a bundle; `import { z } from 'zod'` costs over
 * 400 KB), which leaves zod's English messages out: this module loads them. Import it for its effect.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
