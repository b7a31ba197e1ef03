import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DetectorUnavailableError, WaferwatchError } from '../../core/errors';
import type { DomainLogger } from '../../core/ports/domain-logger';
import { httpStatusOf } from './error-status';
import { headerValue } from './headers';

const BASE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * CORS headers for the request's Origin: echoed only when it is one of the configured origins
 * (`*` in the list is honoured only where the configuration allowed it: the local stage).
 */
export function corsHeaders(event: Pick<APIGatewayProxyEvent, 'headers'>, allowedOrigins: readonly string[]): Record<string, string> {
  const origin = headerValue(event.headers, 'origin');
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (origin && (allowedOrigins.includes(origin) || allowedOrigins.includes('*'))) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Access-Control-Allow-Headers'] = 'Content-Type, X-Api-Key, X-Station-Id';
    headers['Access-Control-Allow-Methods'] = 'GET, POST, OPTIONS';
    headers['Access-Control-Max-Age'] = '600';
  }
  return headers;
}

/** A JSON response with the product's standard headers. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * The one place errors become HTTP responses: a WaferwatchError answers with its code's status (error-status.ts), its
 * code and client-safe details; anything else is a 500 that names only the request id (the details go to the log).
 */
export function errorResponse(error: unknown, requestId: string, logger: DomainLogger, headers: Record<string, string> = {}): APIGatewayProxyResult {
  if (error instanceof WaferwatchError) {
    const extraHeaders: Record<string, string> = { ...headers };
    if (error instanceof DetectorUnavailableError && error.retryAfterSeconds !== undefined) {
      extraHeaders['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    }
    const statusCode = httpStatusOf(error);
    if (statusCode >= 500) logger.warn('Request failed on a dependency', { code: error.code, reason: error.message });
    return jsonResponse(statusCode, { error: { code: error.code, message: error.message, ...error.details } }, extraHeaders);
  }
  logger.error('Unexpected error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
  return jsonResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.', requestId } }, headers);
}
