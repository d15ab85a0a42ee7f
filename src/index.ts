/**
 * The package entry: Portcullis embedded in a TypeScript agent (docs/embedding.md). Named exports
 * only; the gateway's internals stay internal. The CLI is `bin/portcullis.cjs`.
 */
export { Guard, GuardConfigError, type GuardOptions, type WrapOptions } from './embed/guard.ts';
export { GuardUsageError } from './embed/sdk-client.ts';
export { GUARD_EVENT_NAMES, type GuardEventName } from './embed/guard-events.ts';
export { refusalOf } from './embed/refusal.ts';
export { GatewayError, ERROR_TABLE, type GatewayErrorCode } from './errors.ts';
export { ConfigError } from './config/load.ts';
export type { AuditRecord } from './audit/audit-log.ts';
export { CallChecker, type CallCheckerOptions, type CallDecision, type CallFinding, type ToolDefinition } from './embed/call-checker.ts';
export { inspectValue, InspectionConfigError, type InspectValueOptions, type InspectValueResult, type InspectionFinding } from './embed/inspect-value.ts';
export { verifySignature, type SignatureCheck, type VerifyOptions } from './monitor/verify-signature.ts';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './monitor/notifiers.ts';
