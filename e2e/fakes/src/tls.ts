// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** A throwaway certificate authority, generated at test time. */
export interface TestCa {
  /** CA certificate, PEM. */
  readonly certPem: string;
  /** A file holding certPem, for NODE_EXTRA_CA_CERTS (removed by `close()`, or when the process exits). */
  readonly certFile: string;
  /** Issues a server key + certificate for these host names / IPs (SAN), signed by the CA; PEM. */
  issue(hosts?: readonly string[]): Promise<{ key: string; cert: string }>;
  /** Removes certFile and its directory; idempotent. */
  close(): void;
}

/** Host names a certificate is issued for when none are given. */
export const DEFAULT_TLS_HOSTS: readonly string[] = ['localhost', '127.0.0.1'];

// ECDSA P-256: generated in milliseconds, unlike RSA, and accepted by every TLS client we test.
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** CA directories not closed yet: one exit listener removes them all (not one listener per CA). */
const openCaDirs = new Set<string>();
let exitCleanupInstalled = false;

function removeCaDir(dir: string): void {
  openCaDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function trackCaDir(dir: string): void {
  openCaDirs.add(dir);
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.once('exit', () => {
    for (const open of openCaDirs) removeCaDir(open);
  });
}

/** Creates a CA (key pair + self-signed certificate) and writes its certificate to a temp file. */
export async function createTestCa(): Promise<TestCa> {
  const crypto = globalThis.crypto;
  const caKeys = await crypto.subtle.generateKey(KEY_ALGORITHM, false, ['sign', 'verify']);
  const caName = 'CN=Keyless Test CA';
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: caName,
      ...validity(),
      signingAlgorithm: SIGNING_ALGORITHM,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const certPem = caCert.toString('pem');

  const dir = mkdtempSync(join(tmpdir(), 'keyless-ca-'));
  const certFile = join(dir, 'ca.pem');
  writeFileSync(certFile, certPem);
  trackCaDir(dir);

  return {
    certPem,
    certFile,
    close: () => removeCaDir(dir),
    async issue(hosts = DEFAULT_TLS_HOSTS) {
      const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: serialNumber(),
          subject: `CN=${hosts[0] ?? 'localhost'}`,
          issuer: caCert.subject,
          ...validity(),
          signingAlgorithm: SIGNING_ALGORITHM,
          publicKey: keys.publicKey,
          signingKey: caKeys.privateKey,
          extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
            new x509.SubjectAlternativeNameExtension(
              hosts.map((host) => ({ type: isIP(host) ? 'ip' : 'dns', value: host })),
            ),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
            await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
          ],
        },
        crypto,
      );
      const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
      return { key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), cert: cert.toString('pem') };
    },
  };
}

/** Random positive 16-byte serial number, hex (the top bit cleared keeps the DER integer positive). */
function serialNumber(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** A wide validity window, so clock skew or a test's fake clock near "now" still falls inside it. */
function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 30 * DAY_MS) };
}
