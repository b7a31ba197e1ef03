import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { requirePermission, type Permission, type Principal } from '../../core/access';
import type { DomainLogger } from '../../core/ports/domain-logger';
import { principalOf } from './request-principal';
import { corsHeaders, errorResponse, jsonResponse } from './responses';

/** What every API route needs from the container: where CORS may answer and where to log. */
export interface ApiContext {
  allowedOrigins: readonly string[];
  logger: DomainLogger;
}

/**
 * A route's own work: turn an event from a caller allowed to make it into a status and a JSON body. Throws typed errors
 * for the wrapper to map.
 */
export type RouteAction = (
  event: APIGatewayProxyEvent,
  context: Context,
  caller: Principal,
) => Promise<{ statusCode: number; body: unknown; headers?: Record<string, string> }>;

/**
 * Wrap a route action into a Lambda proxy handler: CORS for allowed origins, preflight answered, the caller's right
 * to the route checked (`requires`: 401 without a caller, 403 without the permission; functions/core/access.ts), and
 * every error mapped to HTTP in one place, so no client input can surface as an unhandled crash.
 */
export function apiHandler(resolveContext: () => ApiContext, requires: Permission, action: RouteAction) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'unknown';
    let api: ApiContext | undefined;
    try {
      api = resolveContext();
      const cors = corsHeaders(event, api.allowedOrigins);
      if (event.httpMethod === 'OPTIONS') return { statusCode: 204, headers: cors, body: '' };
      // API Gateway's authorizers let no anonymous request through; checked here too, so a route wired without one
      // (or a mistake in the template) still refuses rather than serves.
      const caller = requirePermission(principalOf(event), requires);
      const result = await action(event, context, caller);
      return jsonResponse(result.statusCode, result.body, { ...cors, ...result.headers });
    } catch (error) {
      const logger = api?.logger ?? console;
      const cors = api ? corsHeaders(event, api.allowedOrigins) : {};
      return errorResponse(error, requestId, logger, cors);
    }
  };
}
