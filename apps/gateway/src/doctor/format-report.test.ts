import { describe, expect, it } from 'vitest';
import type { DoctorReport } from './doctor-report.ts';
import { formatReport } from './format-report.ts';

const REPORT: DoctorReport = {
  ok: false,
  warnings: ['route x: a static key is ignored'],
  routes: [
    {
      route: 'openai',
      port: 10000,
      upstream: 'https://api.openai.com/v1',
      auth: 'static (OPENAI_API_KEY)',
      ok: true,
      steps: [{ name: 'config', status: 'ok' }],
    },
    {
      route: 'vertex',
      port: 10004,
      upstream: 'https://aiplatform.googleapis.com',
      auth: 'github-oidc (gcp)',
      provider: 'gcp',
      ok: false,
      claims: { sub: 'repo:o/r:ref:refs/heads/main', exp: 1_800_000_000 },
      steps: [
        { name: 'config', status: 'ok' },
        {
          name: 'github-oidc',
          status: 'ok',
          durationMs: 12,
          detail: 'token for aud a, valid 300 s',
        },
        {
          name: 'gcp-iam-credentials',
          status: 'fail',
          durationMs: 7,
          code: 'KEYLESS_ERR_GCP_IMPERSONATION_DENIED',
          detail: 'denied',
          fix: 'Grant roles/iam.workloadIdentityUser',
        },
      ],
    },
  ],
};

describe('formatReport', () => {
  it('prints each step with its timing, the claims after the GitHub hop, the fix under a failure', () => {
    const text = formatReport(REPORT);
    expect(text).toContain('warning: route x: a static key is ignored');
    expect(text).toMatch(/ok {3}github-oidc +12 ms {2}token for aud a, valid 300 s/);
    expect(text).toMatch(/sub +repo:o\/r:ref:refs\/heads\/main/);
    expect(text).toContain('exp  1800000000 (2027-01-15T08:00:00.000Z)');
    expect(text).toMatch(
      /FAIL gcp-iam-credentials +7 ms {2}KEYLESS_ERR_GCP_IMPERSONATION_DENIED: denied/,
    );
    expect(text).toContain('       fix: Grant roles/iam.workloadIdentityUser');
  });

  it('ends with one summary row per route', () => {
    const text = formatReport(REPORT);
    expect(text).toMatch(
      /^vertex +github-oidc \(gcp\) +github-oidc 12ms, gcp-iam-credentials 7ms +- +FAIL \(gcp-iam-credentials\)$/m,
    );
    expect(text).toMatch(/^openai +static \(OPENAI_API_KEY\) +- +- +ok$/m);
    expect(text.trimEnd().endsWith('1 of 2 routes failed.')).toBe(true);
  });

  it('shows a configuration error and its fix alone', () => {
    const text = formatReport({
      ok: false,
      configError: {
        message: 'ACTIONS_ID_TOKEN_REQUEST_URL is not set',
        fix: 'add `permissions: id-token: write`',
      },
      warnings: [],
      routes: [],
    });
    expect(text).toBe(
      'keyless doctor: configuration  FAIL\n  ACTIONS_ID_TOKEN_REQUEST_URL is not set\n  fix: add `permissions: id-token: write`\n',
    );
  });
});
