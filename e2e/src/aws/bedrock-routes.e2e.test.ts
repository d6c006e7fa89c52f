import { ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BEDROCK_REPLY, startBedrockRuntime } from '@keyless/fakes';
import type { BedrockRuntimeFake } from '@keyless/fakes';
import { findLeaks } from '../harness/canary.ts';
import { runGatewayToExit, startGatewayProcess } from '../harness/gateway-process.ts';
import type { GatewayProcess } from '../harness/gateway-process.ts';
import {
  awsWorkflowEnv,
  bedrockClient,
  CLAUDE_MODEL as MODEL,
  HI_MESSAGES as messages,
  ROLE_ARN,
  startAwsRig,
} from './aws-rig.ts';
import type { AwsRig } from './aws-rig.ts';

// The other ways a workflow configures the bedrock route: the aws plugin chosen through
// COPILOT_PROVIDER_TYPE=bedrock (serving the copilot route too), the static
// AWS_BEARER_TOKEN_BEDROCK, and the configuration errors that stop the process before it listens.

const REGION = 'eu-central-1';
const BEARER_TOKEN = 'ABSKQmVkcm9ja0FQSUtleS1jYW5hcnktZTJlLTAxMjM0NTY3ODk=';
const REQUEST_TOKEN = 'fake-actions-request-token-0123456789abcdef';
/** An address nothing listens on: these gateways stop before calling anything. */
const UNREACHABLE = 'http://127.0.0.1:9';

describe('aws plugin derived from COPILOT_PROVIDER_TYPE=bedrock', () => {
  let rig: AwsRig;

  beforeAll(async () => {
    rig = await startAwsRig({ role: { arn: ROLE_ARN }, region: REGION });
    await rig.startGateway({
      // The provider comes from COPILOT_PROVIDER_TYPE alone.
      AWF_AUTH_PROVIDER: undefined,
      COPILOT_PROVIDER_TYPE: 'bedrock',
      COPILOT_PROVIDER_BASE_URL: rig.bedrock.url,
      // The compiler's offline placeholder: counts as absent.
      COPILOT_PROVIDER_API_KEY: 'dummy-byok-key-for-offline-mode',
      GITHUB_RUN_ID: '31337',
      GITHUB_RUN_ATTEMPT: '3',
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('serves the copilot and the bedrock route with one shared STS credential', async () => {
    const { sts, bedrock } = rig;
    const viaCopilot = await rig
      .client('copilot')
      .send(new ConverseCommand({ modelId: MODEL, messages }));
    const viaBedrock = await rig
      .client('bedrock')
      .send(new ConverseCommand({ modelId: MODEL, messages }));
    rig.responses.push(JSON.stringify(viaCopilot), JSON.stringify(viaBedrock));
    expect(viaCopilot.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(viaBedrock.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);

    expect(sts.calls).toEqual([
      expect.objectContaining({ roleSessionName: 'keyless-31337-3', outcome: 'issued' }),
    ]);
    expect(bedrock.calls.map((call) => call.accessKeyId)).toEqual([
      sts.issued[0]!.accessKeyId,
      sts.issued[0]!.accessKeyId,
    ]);
    expect(bedrock.rejections).toEqual([]);
    for (const request of bedrock.requests) {
      expect(request.headers.authorization).toMatch(
        new RegExp(`/${REGION}/bedrock/aws4_request, `),
      );
      expect(JSON.stringify(request.headers)).not.toMatch(/AKIDDUMMY|dummy-byok/);
    }
    const ready = (await rig.readiness()).body;
    expect(ready.routes.map(({ route, provider, auth }) => ({ route, provider, auth }))).toEqual(
      expect.arrayContaining([
        { route: 'copilot', provider: 'aws', auth: 'github-oidc' },
        { route: 'bedrock', provider: 'aws', auth: 'github-oidc' },
      ]),
    );
  });

  it('streams ConverseStream through the copilot route', async () => {
    const answer = await rig
      .client('copilot')
      .send(new ConverseStreamCommand({ modelId: MODEL, messages }));
    let text = '';
    for await (const event of answer.stream!) text += event.contentBlockDelta?.delta?.text ?? '';
    rig.responses.push(text);
    expect(text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(rig.bedrock.calls.at(-1)).toMatchObject({
      operation: 'converse-stream',
      accessKeyId: rig.sts.issued[0]!.accessKeyId,
    });
  });

  it('no AWS secret, session token or GitHub token appears in any output', async () => {
    await rig.gateway.stop();
    expect(rig.leaks()).toEqual([]);
  });
});

describe('static AWS_BEARER_TOKEN_BEDROCK (no federation)', () => {
  let bedrock: BedrockRuntimeFake;
  let gateway: GatewayProcess;
  const seen: string[] = [];

  beforeAll(async () => {
    bedrock = await startBedrockRuntime({ credentials: [], staticBearerToken: BEARER_TOKEN });
    gateway = await startGatewayProcess({
      AWS_BEARER_TOKEN_BEDROCK: BEARER_TOKEN,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await bedrock?.close();
  });

  it('sends the bearer token instead of the client SigV4 signature', async () => {
    const answer = await bedrockClient(gateway.url('bedrock'), REGION).send(
      new ConverseCommand({ modelId: MODEL, messages }),
    );
    seen.push(JSON.stringify(answer));
    expect(answer.output?.message?.content?.[0]?.text).toBe(DEFAULT_BEDROCK_REPLY);
    expect(bedrock.calls).toEqual([expect.objectContaining({ auth: 'bearer', modelId: MODEL })]);
    const headers = bedrock.requests[0]!.headers;
    expect(headers.authorization).toBe(`Bearer ${BEARER_TOKEN}`);
    expect(
      Object.keys(headers).filter(
        (name) => name.startsWith('x-amz-') || name.startsWith('amz-sdk-'),
      ),
    ).toEqual([]);
    expect(bedrock.rejections).toEqual([]);
  });

  it('the token appears in no output or response', async () => {
    const res = await fetch(`${gateway.url('bedrock')}/health`);
    seen.push(await res.text());
    expect(res.status).toBe(200);
    await gateway.stop();
    expect(gateway.logs().some((line) => line.event === 'request')).toBe(true);
    expect(
      findLeaks({ output: gateway.output(), responses: seen.join('\n') }, [BEARER_TOKEN]),
    ).toEqual([]);
  });
});

describe('aws configuration errors stop the process before it listens', () => {
  /** A complete, valid federation environment; each case breaks one thing. */
  const valid = awsWorkflowEnv({
    roleArn: ROLE_ARN,
    region: REGION,
    stsUrl: UNREACHABLE,
    bedrockUrl: UNREACHABLE,
    requestUrl: `${UNREACHABLE}/token?api-version=2.0`,
    requestToken: REQUEST_TOKEN,
  });
  const without = (name: string) =>
    Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));

  // Each case costs a process start (~2 s; run one at a time so that a loaded machine cannot push
  // one past the harness's kill timer); the plugin's unit tests cover the other settings.
  it.for<[string, Record<string, string>, RegExp]>([
    [
      'a malformed role ARN',
      { ...valid, AWF_AUTH_AWS_ROLE_ARN: 'arn:aws:iam::12345:role/short-account' },
      /AWF_AUTH_AWS_ROLE_ARN \(engine\.auth\.aws-role-arn\)/,
    ],
    [
      'a role ARN of another partition than the region',
      { ...valid, AWF_AUTH_AWS_ROLE_ARN: 'arn:aws-cn:iam::123456789012:role/x' },
      /AWF_AUTH_AWS_ROLE_ARN.*partition/,
    ],
    [
      'a region that would change the host name',
      { ...valid, AWF_AUTH_AWS_REGION: 'us-east-1.evil.example' },
      /AWF_AUTH_AWS_REGION \(engine\.auth\.aws-region\)/,
    ],
    [
      'a bad AWS_REGION fallback',
      { ...without('AWF_AUTH_AWS_REGION'), AWS_REGION: 'Not A Region' },
      /error: AWS_REGION: "Not A Region"/,
    ],
    [
      'no region at all',
      without('AWF_AUTH_AWS_REGION'),
      /AWF_AUTH_AWS_REGION.*required.*AWS_REGION/,
    ],
    [
      'a static bearer route with a bad region',
      { AWS_BEARER_TOKEN_BEDROCK: BEARER_TOKEN, AWS_REGION: 'us-east-1/../evil' },
      /AWS_REGION.*not a region/,
    ],
  ])('%s: exit code 2 and stderr names the variable', async ([, env, message], { expect }) => {
    const { code, stdout, stderr } = await runGatewayToExit(env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).not.toContain('gateway.listening');
    expect(findLeaks({ stdout, stderr }, [REQUEST_TOKEN, BEARER_TOKEN])).toEqual([]);
  });
});
