// The real gateway CLI with the test-only provider plugin added: it exercises the
// credential engine end to end while the shipped registration list stays untouched.
import { createTestPlugin } from '@keyless/auth-core/testing';
import { PROVIDER_PLUGINS, runCli } from '@keyless/gateway';

runCli(process.argv.slice(2), [...PROVIDER_PLUGINS, createTestPlugin()]);
