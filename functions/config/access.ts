import * as z from 'zod';
import { DYNAMODB_ENDPOINT } from './alert-state';
import { configFragment, optionalUrl, requiredText } from './environment';

/**
 * Who may call the API (the request authorizer, functions/wiring/authorize-request.ts): the issuer of people's ID tokens
 * and the page's client id, the camera key table, and the people's usage-plan key.
 */
export const accessConfig = configFragment({
  /** The token issuer: https://cognito-idp.<region>.amazonaws.com/<user pool id> deployed; the local OIDC provider in `npm start`. */
  AUTH_ISSUER: z.url({ error: 'AUTH_ISSUER must be the token issuer URL' }),
  /** The page's app client id (an ID token's audience). */
  AUTH_CLIENT_ID: requiredText('AUTH_CLIENT_ID'),
  /** Where the issuer publishes its keys; default <AUTH_ISSUER>/.well-known/jwks.json (Cognito's). */
  AUTH_JWKS_URI: optionalUrl,
  CAMERA_KEY_TABLE: requiredText('CAMERA_KEY_TABLE', 3),
  DYNAMODB_ENDPOINT,
  /**
   * The API key of the people's usage plan (PeopleApiKey): the authorizer hands its value to API Gateway for signed-in
   * people, so their requests are metered apart from every camera's. Unset (the local stack): people are not metered.
   */
  PEOPLE_API_KEY_ID: z.string().min(1).optional(),
  /** Local and test override of the API Gateway endpoint; unset in AWS. */
  APIGATEWAY_ENDPOINT: optionalUrl,
});
