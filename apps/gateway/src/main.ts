#!/usr/bin/env node
import { runCli } from './cli.ts';
import { PROVIDER_PLUGINS } from './plugins.ts';

runCli(process.argv.slice(2), PROVIDER_PLUGINS);
