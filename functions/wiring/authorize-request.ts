import { createApiGatewayClient, createDynamoDbClient } from '../adapters/aws-clients';
import { peopleUsageKey } from '../adapters/apigateway/people-usage-key';
import { DynamoDbCameraKeyDirectory } from '../adapters/dynamodb/dynamodb-camera-key-directory';
import { createRequestAuthorizer, type RequestAuthorizerDependencies } from '../adapters/http/request-authorizer';
import { createPersonTokenVerifier } from '../adapters/identity/person-token-verifier';
import { getObservability, traced, withObservability } from '../adapters/observability/observability';
import { accessConfig } from '../config/access';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { regionConfig } from '../config/region';

/** What the request authorizer reads of its environment: the token issuer, the camera key table, the people's usage key. */
export const AUTHORIZE_REQUEST_CONFIG = [regionConfig, accessConfig] as const;

export type AuthorizeRequestConfig = ConfigOfAll<typeof AUTHORIZE_REQUEST_CONFIG>;

/** Parse the authorizer's environment; throws ConfigurationError naming each bad variable. */
export function readAuthorizeRequestConfig(env: Record<string, string | undefined> = process.env): AuthorizeRequestConfig {
  return parseEnvironment(AUTHORIZE_REQUEST_CONFIG, env);
}

/** The token verifier, the camera key table and, deployed, the people's usage key. */
export function createAuthorizeRequestDependencies(
  config: AuthorizeRequestConfig,
  logger: RequestAuthorizerDependencies['logger'],
): RequestAuthorizerDependencies {
  const dynamoDb = traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  return {
    people: createPersonTokenVerifier({
      issuer: config.AUTH_ISSUER,
      clientId: config.AUTH_CLIENT_ID,
      ...(config.AUTH_JWKS_URI ? { jwksUri: config.AUTH_JWKS_URI } : {}),
    }),
    cameraKeys: new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName: config.CAMERA_KEY_TABLE }),
    ...(config.PEOPLE_API_KEY_ID
      ? {
          peopleUsageKey: peopleUsageKey({
            client: traced(createApiGatewayClient({ region: config.AWS_REGION, endpoint: config.APIGATEWAY_ENDPOINT })),
            apiKeyId: config.PEOPLE_API_KEY_ID,
          }),
        }
      : {}),
    logger,
  };
}

/** The request authorizer's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireAuthorizeRequest(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createAuthorizeRequestDependencies(readAuthorizeRequestConfig(env), observability.logger);
  return withObservability(
    createRequestAuthorizer(() => dependencies),
    observability,
  );
}
