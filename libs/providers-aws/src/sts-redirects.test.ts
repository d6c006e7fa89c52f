/**
 * Security regression: the STS call never follows a redirect (it would carry the
 * GitHub token to whatever host the answer names). The real AWS SDK against a
 * local STS that answers 3xx to a second server, which must receive nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redactor } from '@keyless/auth-core';
import { fakeAcquireContext } from '@keyless/auth-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { assumeRoleWithWebIdentity } from './assume-role-with-web-identity.ts';
import { AwsStsRedirectRefusedError } from './errors.ts';
import { mapStsError } from './map-sts-error.ts';
import { parseAwsConfig } from './aws-config.ts';

const TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6bWFpbiJ9.c2lnbmF0dXJlLW9mLXRoZS1naXRodWItdG9rZW4';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start(respond: (res: http.ServerResponse) => void) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(req.url ?? '');
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('STS AssumeRoleWithWebIdentity never follows a redirect', () => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i to another origin or plain http: refused, named, nothing sent there',
    async (status) => {
      const other = await start((res) =>
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<ok/>'),
      );
      for (const location of [
        `${other.url}/?stolen=1`,
        `http://localhost:${new URL(other.url).port}/`,
      ]) {
        const sts = await start((res) =>
          res
            .writeHead(status, { location, 'content-type': 'text/html' })
            .end(`<html>Moved ${TOKEN}</html>`),
        );
        const config = parseAwsConfig({
          AWF_AUTH_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gh-bedrock',
          AWF_AUTH_AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_STS: sts.url,
        });
        const context = fakeAcquireContext();
        closers.push(() => context.close());
        const redactor = new Redactor();
        redactor.register(TOKEN);
        const error = await assumeRoleWithWebIdentity({
          config,
          webIdentityToken: TOKEN,
          signal: context.signal,
          egress: context.egress,
        }).then(
          () => undefined,
          (thrown: unknown) =>
            mapStsError(thrown, config, (value, max) => redactor.remoteText(value, max)),
        );
        expect(error).toBeInstanceOf(AwsStsRedirectRefusedError);
        expect(error?.message).toContain(
          `answered HTTP ${status}, a redirect to ${new URL(location).origin}: refused`,
        );
        expect(error?.message).not.toContain(TOKEN.split('.')[2]);
        expect(sts.requests).toHaveLength(1);
      }
      expect(other.requests).toEqual([]);
    },
  );
});
