#!/usr/bin/env node
import { processIO } from '../cli/io.js';
import { runCli } from '../cli/main.js';

// The CLI drives the local cloud on whatever Node the machine has (20 and up); the SDK's notice that its 2027
// releases need Node 22 is about the SDK's future, not this run. A caller's own setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2), processIO);
