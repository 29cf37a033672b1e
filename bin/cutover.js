#!/usr/bin/env node
// `npx cutover`: run the TypeScript CLI through tsx's require hook (no build step).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
process.env.CUTOVER_CLI_MAIN = '1';
require('./cutover.ts');
