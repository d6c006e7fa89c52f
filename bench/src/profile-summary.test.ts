import { describe, expect, it } from 'vitest';
import { placeOf, summarizeProfile, type CpuProfile } from './profile-summary.ts';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)', '') },
    { id: 2, callFrame: frame('hashBlocks', 'file:///r/node_modules/@aws-crypto/sha256-js/x.js') },
    { id: 3, callFrame: frame('admit', 'file:///r/apps/gateway/src/proxy/admission.ts') },
  ],
  samples: [1, 2, 2, 3],
  timeDeltas: [500, 200, 200, 100],
};

describe('summarizeProfile', () => {
  it('weights self time by sampling interval, as a share of busy time, per function and per package', () => {
    const summary = summarizeProfile(PROFILE);
    expect(summary.idlePercent).toBeCloseTo(50, 5);
    expect(summary.functions[0]).toMatchObject({
      name: 'hashBlocks',
      where: '@aws-crypto/sha256-js/x.js:10',
    });
    // 400 of the 500 busy units.
    expect(summary.functions[0]?.selfPercent).toBeCloseTo(80, 5);
    expect(summary.places.map((place) => place.name)).toEqual([
      '@aws-crypto/sha256-js',
      'apps/gateway',
    ]);
  });
});

describe('placeOf', () => {
  it('names packages, repository folders, Node internals and native code', () => {
    expect(placeOf('file:///r/node_modules/undici/lib/x.js')).toBe('undici');
    expect(placeOf('file:///r/libs/auth-core/src/cache.ts')).toBe('libs/auth-core');
    expect(placeOf('node:internal/http')).toBe('node (internal)');
    expect(placeOf('')).toBe('(native)');
  });
});
