import { globMatch } from './glob-match.ts';

/** AWF_ALLOWED_MODELS / AWF_DISALLOWED_MODELS, as glob patterns. */
export interface ModelLists {
  readonly allowed?: readonly string[];
  readonly disallowed?: readonly string[];
}

/** Why a model is refused, and the pattern that refused it (for the message). */
export interface ModelRefusal {
  readonly reason: 'disallowed' | 'not_allowed' | 'dynamic_model_unverifiable';
  readonly pattern?: string;
}

/**
 * The api-proxy's model policy: a denylist match refuses first; then, with an
 * allowlist, a model must match one of its patterns. `auto` (the provider
 * picks the model) is refused under a denylist unless explicitly allowed,
 * since the denylist cannot be proven. A pattern with a `/` is matched
 * against `<route>/<model>`, so `copilot/*` only concerns the copilot route.
 */
export function modelRefusal(
  model: string,
  route: string,
  lists: ModelLists,
): ModelRefusal | undefined {
  const matches = (pattern: string) => patternMatches(pattern, model, route);
  const allowedBy = lists.allowed?.find(matches);
  if (lists.disallowed && matches('auto') && allowedBy === undefined) {
    return { reason: 'dynamic_model_unverifiable' };
  }
  const disallowedBy = lists.disallowed?.find(matches);
  if (disallowedBy !== undefined) return { reason: 'disallowed', pattern: disallowedBy };
  if (lists.allowed && allowedBy === undefined) return { reason: 'not_allowed' };
  return undefined;
}

function patternMatches(pattern: string, model: string, route: string): boolean {
  const native = withoutRoutePrefix(model, route);
  return pattern.includes('/')
    ? globMatch(pattern, `${route}/${native}`)
    : globMatch(pattern, native);
}

/** `copilot/gpt-5` on route copilot is `gpt-5` (harnesses with LiteLLM-style names send that). */
export function withoutRoutePrefix(model: string, route: string): string {
  const prefix = `${route.toLowerCase()}/`;
  return model.toLowerCase().startsWith(prefix) && model.length > prefix.length
    ? model.slice(prefix.length)
    : model;
}
