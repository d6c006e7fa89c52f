import type { PolicyContext, PolicyRequest } from '../policy.ts';

/** A logged event as a fake context records it. */
export interface LoggedEvent {
  readonly level: 'info' | 'warn';
  readonly event: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A PolicyContext with a hand-moved clock and recorded log events. */
export interface FakePolicyContext extends PolicyContext {
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  readonly events: LoggedEvent[];
}

/** A fake context whose clock starts at `start` (ms epoch) and moves only when told. */
export function fakePolicyContext(start = Date.UTC(2025, 0, 1)): FakePolicyContext {
  let now = start;
  const events: LoggedEvent[] = [];
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    log(level, event, fields, message) {
      events.push({ level, event, fields, message });
    },
    events,
  };
}

/** A POST to route `openai` naming `model` in its JSON body, unless `overrides` say otherwise. */
export function policyRequest(overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  const model = 'model' in overrides ? overrides.model : 'gpt-4o';
  return {
    route: 'openai',
    method: 'POST',
    path: '/v1/chat/completions',
    model,
    modelIn: 'body',
    jsonBody: true,
    json: { ...(model === undefined ? {} : { model }), messages: [] },
    unreadable: undefined,
    bodyBytes: 100,
    websocket: false,
    ...overrides,
  };
}
