import {
  DEFAULT_GITHUB_CLAIMS,
  STACK_IDENTITY,
  STACK_ROUTES,
  startFakeStack,
  type FakeFault,
} from '@keyless/fakes';
import { describe, expect, it } from 'vitest';
import { findLeaks } from '../harness/canary.ts';
import { runDoctorProcess } from './run-doctor-process.ts';

interface Step {
  name: string;
  status: string;
  code?: string;
  detail?: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  configError?: { message: string; fix?: string };
  routes: Array<{ route: string; ok: boolean; steps: Step[]; claims?: Record<string, unknown> }>;
}

/** The fakes' GitHub token: what the fixes must name, as is, for the cloud side. */
const REPOSITORY = String(DEFAULT_GITHUB_CLAIMS.repository);
const SUBJECT = `repo:${REPOSITORY}:ref:${String(DEFAULT_GITHUB_CLAIMS.ref)}`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const POOL = STACK_IDENTITY.gcpWorkloadIdentityProvider.replace(/\/providers\/.*$/, '');

/**
 * A doctor run is a node process loading every cloud SDK next to a dozen fake servers: under
 * load (2 busy cores) one run can take tens of seconds. Runs go one at a time, each with room.
 */
const RUN_TIMEOUT_MS = 90_000;

/** Each fault, the route and hop doctor must blame, the error code and words of the fix. */
const CASES: Array<{
  fault: FakeFault;
  route: string;
  step: string;
  code: string;
  fix: RegExp;
  detail?: RegExp;
}> = [
  {
    fault: 'request-token-rejected',
    route: 'bedrock',
    step: 'github-oidc',
    code: 'KEYLESS_ERR_GITHUB_OIDC',
    fix: /ACTIONS_ID_TOKEN_REQUEST_TOKEN must come from the running job/,
  },
  {
    fault: 'aadsts70021',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_NO_FEDERATED_CREDENTIAL',
    fix: /register issuer http:\/\/127\.0\.0\.1:\d+, subject repo:octo-org\/octo-repo:ref:refs\/heads\/main, audience api:\/\/AzureADTokenExchange/,
    detail: /AADSTS70021/,
  },
  {
    fault: 'aadsts700213',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_NO_FEDERATED_CREDENTIAL',
    fix: /subject repo:octo-org\/octo-repo:ref:refs\/heads\/main, audience api:\/\/AzureADTokenExchange/,
    detail: /AADSTS700213/,
  },
  {
    fault: 'aadsts700016',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_APP_NOT_FOUND',
    fix: /check AWF_AUTH_AZURE_CLIENT_ID/,
  },
  {
    fault: 'aadsts700024',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_ASSERTION_EXPIRED',
    fix: /clock/,
  },
  {
    fault: 'aadsts90002',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_TENANT_NOT_FOUND',
    fix: /check AWF_AUTH_AZURE_TENANT_ID/,
  },
  {
    fault: 'gcp-audience',
    route: 'vertex',
    step: 'gcp-sts',
    code: 'KEYLESS_ERR_GCP_AUDIENCE_MISMATCH',
    fix: /AWF_AUTH_OIDC_AUDIENCE/,
    detail: /invalid_grant/,
  },
  {
    fault: 'gcp-attribute-condition',
    route: 'vertex',
    step: 'gcp-sts',
    code: 'KEYLESS_ERR_GCP_ATTRIBUTE_CONDITION',
    fix: new RegExp(
      `attribute condition accept this workflow's claims: the token has repository ${escape(REPOSITORY)}, sub ${escape(SUBJECT)}`,
    ),
  },
  {
    fault: 'gcp-impersonation-denied',
    route: 'vertex',
    step: 'gcp-iam-credentials',
    code: 'KEYLESS_ERR_GCP_IMPERSONATION_DENIED',
    // The binding to paste, with the token's repository: no OWNER/REPO placeholder.
    fix: new RegExp(
      `roles/iam\\.workloadIdentityUser on ${escape(STACK_IDENTITY.gcpServiceAccount)} to principalSet://iam\\.googleapis\\.com/${escape(POOL)}/attribute\\.repository/${escape(REPOSITORY)} `,
    ),
    detail: /PERMISSION_DENIED/,
  },
  {
    fault: 'aws-invalid-identity-token',
    route: 'bedrock',
    step: 'aws-sts',
    code: 'KEYLESS_ERR_AWS_INVALID_IDENTITY_TOKEN',
    // The token's issuer (the fake's, as a GHES one would be), not GitHub's fixed host.
    fix: /Register the IAM OIDC identity provider 127\.0\.0\.1:\d+ with audience sts\.amazonaws\.com/,
  },
  {
    fault: 'aws-access-denied',
    route: 'bedrock',
    step: 'aws-sts',
    code: 'KEYLESS_ERR_AWS_ACCESS_DENIED',
    fix: new RegExp(
      `trust policy of ${escape(STACK_IDENTITY.awsRoleArn)} .*127\\.0\\.0\\.1:\\d+:aud = sts\\.amazonaws\\.com and 127\\.0\\.0\\.1:\\d+:sub matching ${escape(SUBJECT)}$`,
    ),
  },
  {
    fault: 'anthropic-rule-mismatch',
    route: 'anthropic-federated',
    step: 'anthropic-token',
    code: 'KEYLESS_ERR_ANTHROPIC_FEDERATION_REJECTED',
    fix: new RegExp(
      `federation rule ${STACK_IDENTITY.anthropicFederationRuleId} must accept issuer http://127\\.0\\.0\\.1:\\d+, subject ${escape(SUBJECT)} and audience https://api\\.anthropic\\.com`,
    ),
    detail: /invalid_grant/,
  },
  {
    fault: 'unreachable',
    route: 'vertex',
    step: 'gcp-sts',
    code: 'KEYLESS_ERR_GCP_UNREACHABLE',
    fix: /network access/,
    detail: /ECONNREFUSED/,
  },
  {
    fault: 'tls-untrusted',
    route: 'azure-openai',
    step: 'entra-token',
    code: 'KEYLESS_ERR_AZURE_UNREACHABLE',
    fix: /not trusted: add its CA to NODE_EXTRA_CA_CERTS/,
  },
  {
    fault: 'proxy-refuses',
    route: 'vertex',
    step: 'github-oidc',
    code: 'KEYLESS_ERR_GITHUB_OIDC',
    fix: /HTTPS_PROXY/,
  },
];

/**
 * Faults of different routes share one doctor run (a real setup can be wrong in several places
 * at once); faults that break every federated route run alone.
 */
const RUNS: FakeFault[][] = [
  ['aadsts70021', 'gcp-audience', 'aws-invalid-identity-token'],
  ['aadsts700213', 'gcp-attribute-condition', 'aws-access-denied'],
  ['aadsts700016', 'gcp-impersonation-denied', 'anthropic-rule-mismatch'],
  ['aadsts700024', 'unreachable'],
  ['aadsts90002'],
  ['tls-untrusted'],
  ['request-token-rejected'],
  ['proxy-refuses'],
];

describe(
  'keyless doctor names the hop and the fix of each known failure',
  { timeout: RUN_TIMEOUT_MS },
  () => {
    it('covers every case', () => {
      expect(RUNS.flat().sort()).toEqual(CASES.map((c) => c.fault).sort());
    });

    for (const faults of RUNS) {
      it(faults.join(' + '), async () => {
        const stack = await startFakeStack({ faults });
        try {
          const run = await runDoctorProcess(stack, ['--json']);
          expect(run.code, run.stderr).toBe(1);
          const report = JSON.parse(run.stdout) as Report;
          for (const c of CASES.filter((candidate) => faults.includes(candidate.fault))) {
            const route = report.routes.find((r) => r.route === c.route);
            expect(route?.ok, c.fault).toBe(false);
            const step = route?.steps.find((s) => s.status === 'fail');
            expect(step, c.fault).toMatchObject({ name: c.step, code: c.code });
            expect(step?.fix).toMatch(c.fix);
            if (c.detail) expect(step?.detail).toMatch(c.detail);
          }
          // Static routes need no federation: they pass whatever the cloud side does.
          expect(report.routes.find((r) => r.route === 'openai')?.ok).toBe(true);
          expect(findLeaks({ output: run.stdout + run.stderr }, stack.secrets())).toEqual([]);
        } finally {
          await stack.close();
        }
      });
    }

    it('azure-scope-as-audience: a warning on the config and the audience in the fix', async () => {
      const stack = await startFakeStack({ faults: ['azure-scope-as-audience'] });
      try {
        const run = await runDoctorProcess(stack, ['--json']);
        expect(run.code).toBe(1);
        const steps = (JSON.parse(run.stdout) as Report).routes.find(
          (r) => r.route === 'azure-openai',
        )?.steps;
        expect(steps?.[0]).toMatchObject({ name: 'config', status: 'warn' });
        expect(steps?.[0]?.detail).toContain(
          '"https://cognitiveservices.azure.com" looks like the Entra resource',
        );
        expect(steps?.find((s) => s.status === 'fail')?.fix).toContain(
          'audience https://cognitiveservices.azure.com',
        );
        expect(findLeaks({ output: run.stdout + run.stderr }, stack.secrets())).toEqual([]);
      } finally {
        await stack.close();
      }
    });

    it('id-token-missing: a configuration error with the permission to add, exit 2', async () => {
      const stack = await startFakeStack({ faults: ['id-token-missing'] });
      try {
        const run = await runDoctorProcess(stack);
        expect(run.code).toBe(2);
        expect(run.stdout).toContain('keyless doctor: configuration  FAIL');
        expect(run.stdout).toContain(
          'fix: add `permissions: id-token: write` to the job (or workflow)',
        );
        expect(findLeaks({ output: run.stdout + run.stderr }, stack.secrets())).toEqual([]);
      } finally {
        await stack.close();
      }
    });

    it('human format: the failing hop, its code and fix in the route block and the table, no secret', async () => {
      const stack = await startFakeStack({ faults: ['aws-access-denied'] });
      try {
        const run = await runDoctorProcess(stack);
        expect(run.code, run.stderr).toBe(1);
        const block = run.stdout.slice(run.stdout.indexOf('\nbedrock  :'));
        expect(block).toMatch(/^ {2}FAIL aws-sts +\d+ ms {2}KEYLESS_ERR_AWS_ACCESS_DENIED: /m);
        expect(block).toMatch(
          new RegExp(
            `^ {7}fix: Let the trust policy of ${escape(STACK_IDENTITY.awsRoleArn)} .*:sub matching ${escape(SUBJECT)}$`,
            'm',
          ),
        );
        expect(run.stdout).toMatch(new RegExp(`^ +sub +${escape(SUBJECT)}$`, 'm'));
        expect(run.stdout).toMatch(/^bedrock +github-oidc \(aws\) .* FAIL \(aws-sts\)$/m);
        expect(run.stdout).toContain(`1 of ${STACK_ROUTES.length} routes failed.`);
        expect(findLeaks({ output: run.stdout + run.stderr }, stack.secrets())).toEqual([]);
      } finally {
        await stack.close();
      }
    });
  },
);
