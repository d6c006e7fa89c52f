import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakesCommand, FAKES_PACKAGE } from './fakes.ts';

const context = { plugins: [], env: {} };

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('keyless fakes', () => {
  it("runs the fakes package's CLI with the arguments and its exit code", async () => {
    const runFakesCli = vi.fn(async () => 3);
    await createFakesCommand(async () => ({ runFakesCli, FAKES_USAGE: '' })).run(
      ['--list-faults'],
      context,
    );
    expect(runFakesCli).toHaveBeenCalledWith(['--list-faults']);
    expect(process.exitCode).toBe(3);
  });

  it('says the dev package is missing instead of crashing when the install has none', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const missing = Object.assign(
      new Error(`Cannot find package '${FAKES_PACKAGE}' imported from x`),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    await createFakesCommand(() => Promise.reject(missing)).run([], context);
    expect(process.exitCode).toBe(1);
    expect(String(stderr.mock.calls[0]?.[0])).toContain(
      'the dev package @keyless/fakes is not installed here',
    );
  });

  it("--help is the fakes package's whole usage, or the short one when the package is missing", async () => {
    const full = 'usage: keyless fakes ... --lifetime S ...';
    const runFakesCli = vi.fn(async () => 0);
    expect(
      await createFakesCommand(async () => ({ runFakesCli, FAKES_USAGE: full })).help?.(),
    ).toBe(full);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const missing = Object.assign(new Error(`Cannot find package '${FAKES_PACKAGE}'`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(await createFakesCommand(() => Promise.reject(missing)).help?.()).toMatch(
      /^usage: keyless fakes .*--lifetime SECONDS/,
    );
    expect(runFakesCli).not.toHaveBeenCalled();
  });

  it('lets any other failure through', async () => {
    const broken = Object.assign(new Error("Cannot find package 'jose'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(createFakesCommand(() => Promise.reject(broken)).run([], context)).rejects.toBe(
      broken,
    );
  });
});
