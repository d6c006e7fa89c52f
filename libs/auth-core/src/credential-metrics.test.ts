import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCredentialMetrics } from './credential-metrics.ts';
import type { CredentialStatus } from './route-credential.ts';

describe('createCredentialMetrics', () => {
  it('computes seconds to expiry at scrape time, per route', async () => {
    const registry = new Registry();
    let now = 1_000_000;
    const metrics = createCredentialMetrics(registry, () => now);
    let status: CredentialStatus = { state: 'ready', expiresAt: now + 90_000 };
    const credential = { provider: 'azure', status: () => status };
    metrics.trackExpiry('copilot', credential);
    metrics.trackExpiry('openai', credential);
    metrics.trackExpiry('anthropic', { provider: 'static', status: () => ({ state: 'ready' }) });
    let text = await registry.metrics();
    expect(text).toContain(
      'keyless_credential_expiry_seconds{route="copilot",provider="azure"} 90',
    );
    expect(text).toContain('keyless_credential_expiry_seconds{route="openai",provider="azure"} 90');
    expect(text).not.toContain('route="anthropic"');
    now += 30_000;
    text = await registry.metrics();
    expect(text).toContain(
      'keyless_credential_expiry_seconds{route="copilot",provider="azure"} 60',
    );
    // an expired (unusable) credential disappears rather than going stale
    status = { state: 'failing', lastError: 'down' };
    text = await registry.metrics();
    expect(text).not.toContain('keyless_credential_expiry_seconds{');
  });

  it('counts refreshes, hops and replays', async () => {
    const registry = new Registry();
    const metrics = createCredentialMetrics(registry);
    metrics.recordRefresh('aws', 'success');
    metrics.recordRefresh('aws', 'failure');
    metrics.recordRefresh('aws', 'failure');
    metrics.recordHop('aws', 'sts', 0.3, 'success');
    metrics.recordReplay('bedrock', 'aws');
    const text = await registry.metrics();
    expect(text).toContain('keyless_credential_refreshes_total{provider="aws",result="failure"} 2');
    expect(text).toContain('keyless_credential_refreshes_total{provider="aws",result="success"} 1');
    expect(text).toContain(
      'keyless_credential_exchange_duration_seconds_bucket{le="0.5",provider="aws",hop="sts",result="success"} 1',
    );
    expect(text).toContain(
      'keyless_credential_exchange_duration_seconds_bucket{le="0.25",provider="aws",hop="sts",result="success"} 0',
    );
    expect(text).toContain('keyless_replays_total{route="bedrock",provider="aws"} 1');
  });

  it('refuses to register twice in one registry', () => {
    const registry = new Registry();
    createCredentialMetrics(registry);
    expect(() => createCredentialMetrics(registry)).toThrow(/already been registered/);
  });
});
