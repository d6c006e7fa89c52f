export { TOKEN_KINDS, NO_TOKENS, type TokenKind, type TokenUsage } from './token-usage.ts';
export {
  createUsageTap,
  type Headers,
  type TappedAnswer,
  type UsageReport,
  type UsageTap,
} from './usage-tap.ts';
export { requestModel, MAX_MODEL_CHARS } from './request-model.ts';
export { wireShapeFor, type AnswerRoute, type WireShape } from './wire-shapes.ts';
