#!/usr/bin/env node
import { runFakesCli } from './fakes-cli.ts';

process.exitCode = await runFakesCli(process.argv.slice(2));
