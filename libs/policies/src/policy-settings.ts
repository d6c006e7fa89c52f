import { configError, readSetting, type Environment, type Setting } from '@keyless/auth-core';

const TRUE = /^(?:true|1|yes|on)$/i;
const FALSE = /^(?:false|0|no|off)$/i;

/** A yes/no setting; undefined when unset. */
export function readSwitch(env: Environment, setting: Setting): boolean | undefined {
  const value = readSetting(env, setting);
  if (value === undefined) return undefined;
  if (TRUE.test(value)) return true;
  if (FALSE.test(value)) return false;
  throw configError(setting, `must be true or false, got "${value}"`);
}

/** A whole number of at least 1; undefined when unset. */
export function readPositiveInteger(env: Environment, setting: Setting): number | undefined {
  const value = readSetting(env, setting);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw configError(setting, `must be a whole number of at least 1, got "${value}"`);
  }
  return number;
}

/** A finite number above 0; undefined when unset. */
export function readPositiveNumber(env: Environment, setting: Setting): number | undefined {
  const value = readSetting(env, setting);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw configError(setting, `must be a number above 0, got "${value}"`);
  }
  return number;
}

/** Parsed JSON; undefined when unset. Never echoes the value (it may be long). */
export function readJson(env: Environment, setting: Setting): unknown {
  const value = readSetting(env, setting);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw configError(setting, `is not valid JSON (${(error as Error).message})`);
  }
}
