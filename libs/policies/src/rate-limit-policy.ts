import { readSetting, type Setting } from '@keyless/auth-core';
import type {
  Policy,
  PolicyPlugin,
  PolicyReading,
  PolicyRequest,
  PolicyVerdict,
} from './policy.ts';
import { readPositiveInteger, readSwitch } from './policy-settings.ts';
import { SlidingWindow } from './sliding-window.ts';

/** The api-proxy's defaults, used for a limit left unset once limiting is on. */
export const DEFAULT_RATE_LIMIT_RPM = 600;
export const DEFAULT_RATE_LIMIT_RPH = 1000;
export const DEFAULT_RATE_LIMIT_BYTES_PM = 50 * 1024 * 1024;

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

export const RATE_LIMIT_SETTINGS = {
  enabled: {
    env: 'AWF_RATE_LIMIT_ENABLED',
    description:
      'Rate limits per route on (`true`) or off (`false`); unset: on when any AWF_RATE_LIMIT_RPM, _RPH or _BYTES_PM is set',
  },
  rpm: {
    env: 'AWF_RATE_LIMIT_RPM',
    description:
      'Requests per minute per route (sliding window of 60 one-second slots); 429 `rate_limited` with an exact Retry-After beyond it',
    default: String(DEFAULT_RATE_LIMIT_RPM),
  },
  rph: {
    env: 'AWF_RATE_LIMIT_RPH',
    description: 'Requests per hour per route (sliding window of 60 one-minute slots)',
    default: String(DEFAULT_RATE_LIMIT_RPH),
  },
  bytesPm: {
    env: 'AWF_RATE_LIMIT_BYTES_PM',
    description:
      'Request body bytes per minute per route; a single body larger than this is refused with 413',
    default: String(DEFAULT_RATE_LIMIT_BYTES_PM),
  },
} as const satisfies Record<string, Setting>;

/** Limits per route. */
export interface RateLimitConfig {
  readonly rpm: number;
  readonly rph: number;
  readonly bytesPerMinute: number;
}

/**
 * The api-proxy's rate limiter: requests per minute, per hour and body bytes
 * per minute, each route counted on its own. A refused request is not
 * counted; the Retry-After is the time until the oldest counted request
 * leaves the window, so a client that waits that long gets through.
 */
export const rateLimitPlugin: PolicyPlugin<RateLimitConfig> = {
  name: 'rate-limit',
  settings: Object.values(RATE_LIMIT_SETTINGS),
  parseConfig(env) {
    const S = RATE_LIMIT_SETTINGS;
    const enabled = readSwitch(env, S.enabled);
    const limits = {
      rpm: readPositiveInteger(env, S.rpm),
      rph: readPositiveInteger(env, S.rph),
      bytesPerMinute: readPositiveInteger(env, S.bytesPm),
    };
    const anyLimit = [S.rpm, S.rph, S.bytesPm].some((s) => readSetting(env, s) !== undefined);
    if (enabled === false || (enabled === undefined && !anyLimit)) return undefined;
    return Object.freeze({
      rpm: limits.rpm ?? DEFAULT_RATE_LIMIT_RPM,
      rph: limits.rph ?? DEFAULT_RATE_LIMIT_RPH,
      bytesPerMinute: limits.bytesPerMinute ?? DEFAULT_RATE_LIMIT_BYTES_PM,
    });
  },
  create: (config, context) => new RateLimitPolicy(config, context.now),
};

/** One route's windows. */
interface RouteWindows {
  readonly minute: SlidingWindow;
  readonly hour: SlidingWindow;
  readonly bytes: SlidingWindow;
}

class RateLimitPolicy implements Policy {
  readonly name = rateLimitPlugin.name;
  readonly #config: RateLimitConfig;
  readonly #now: () => number;
  /** Bounded: one entry per configured route. */
  readonly #routes = new Map<string, RouteWindows>();

  constructor(config: RateLimitConfig, now: () => number) {
    this.#config = config;
    this.#now = now;
  }

  check(request: PolicyRequest): PolicyVerdict | undefined {
    const { rpm, rph, bytesPerMinute } = this.#config;
    const S = RATE_LIMIT_SETTINGS;
    const now = this.#now();
    const windows = this.#windows(request.route);
    const route = `route ${request.route}`;

    if (windows.minute.total(now) >= rpm) {
      return refuse(
        now,
        windows.minute.msUntilAtMost(now, rpm - 1),
        { limit: rpm, remaining: 0 },
        `${S.rpm.env}: ${route} is at its limit of ${rpm} requests per minute`,
      );
    }
    if (windows.hour.total(now) >= rph) {
      return refuse(
        now,
        windows.hour.msUntilAtMost(now, rph - 1),
        { limit: rph, remaining: 0 },
        `${S.rph.env}: ${route} is at its limit of ${rph} requests per hour`,
      );
    }
    const bytes = request.bodyBytes;
    if (bytes > bytesPerMinute) {
      // Waiting would never help: say so instead of a Retry-After that lies.
      return {
        refuse: 'payload_too_large',
        message: `${S.bytesPm.env}: the request body (${bytes} bytes) is larger than the limit of ${bytesPerMinute} bytes per minute`,
      };
    }
    const bytesUsed = windows.bytes.total(now);
    if (bytesUsed + bytes > bytesPerMinute) {
      return refuse(
        now,
        windows.bytes.msUntilAtMost(now, bytesPerMinute - bytes),
        { limit: bytesPerMinute, remaining: Math.max(0, bytesPerMinute - bytesUsed) },
        `${S.bytesPm.env}: ${route} is at its limit of ${bytesPerMinute} request body bytes per minute`,
      );
    }
    windows.minute.add(now, 1);
    windows.hour.add(now, 1);
    if (bytes > 0) windows.bytes.add(now, bytes);
    return undefined;
  }

  state() {
    const now = this.#now();
    const routes: Record<string, Record<string, number>> = {};
    const readings: PolicyReading[] = [];
    for (const [route, windows] of this.#routes) {
      const current = {
        requestsLastMinute: windows.minute.total(now),
        requestsLastHour: windows.hour.total(now),
        bytesLastMinute: windows.bytes.total(now),
      };
      routes[route] = current;
      readings.push(
        { reading: 'requests_last_minute', route, value: current.requestsLastMinute },
        { reading: 'requests_last_hour', route, value: current.requestsLastHour },
        { reading: 'bytes_last_minute', route, value: current.bytesLastMinute },
      );
    }
    return { summary: { limits: this.#config, routes }, readings };
  }

  #windows(route: string): RouteWindows {
    let windows = this.#routes.get(route);
    if (!windows) {
      windows = {
        minute: new SlidingWindow(60, SECOND_MS),
        hour: new SlidingWindow(60, MINUTE_MS),
        bytes: new SlidingWindow(60, SECOND_MS),
      };
      this.#routes.set(route, windows);
    }
    return windows;
  }
}

/** A 429 with the exact wait and the limit's figures (as the api-proxy's X-RateLimit-* headers). */
function refuse(
  now: number,
  waitMs: number,
  figures: { limit: number; remaining: number },
  why: string,
): PolicyVerdict {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / SECOND_MS));
  return {
    refuse: 'rate_limited',
    message: `${why}; retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
    rateLimit: { ...figures, resetAt: Math.ceil(now / SECOND_MS) + retryAfterSeconds },
  };
}
