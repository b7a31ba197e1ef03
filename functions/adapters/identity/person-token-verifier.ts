import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { knownGroups, type PersonPrincipal } from '../../core/access';
import { UnauthenticatedError } from '../../core/errors';

/** Where people's tokens come from: the issuer (Cognito user pool, or the local stack's OIDC provider) and the page's client id. */
export interface PersonTokenVerifierOptions {
  /** The `iss` every token must carry, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC. */
  issuer: string;
  /** The app client id: an ID token's `aud`. */
  clientId: string;
  /** The issuer's JWKS; default `<issuer>/.well-known/jwks.json`, where Cognito publishes it. */
  jwksUri?: string;
}

/** Checks a person's ID token and says who they are. */
export interface PersonTokenVerifier {
  /** The person an `Authorization` header value (`Bearer <token>` or the bare token) names; UnauthenticatedError otherwise. */
  verify(authorization: string | undefined): Promise<PersonPrincipal>;
}

/**
 * ID tokens verified with aws-jwt-verify (AWS's maintained verifier: signature against the issuer's JWKS, `iss`, `aud`,
 * `exp`/`nbf`, algorithm), the same code for the deployed authorizer and the local stack's. Cognito's ID tokens carry
 * `token_use: id`; an access token (or anything else saying otherwise) is refused, so a token minted for another
 * purpose cannot stand in. Groups are `cognito:groups` (the local provider issues the same claim).
 */
export function createPersonTokenVerifier(options: PersonTokenVerifierOptions): PersonTokenVerifier {
  const issuer = options.issuer.replace(/\/+$/, '');
  const verifier = JwtVerifier.create(
    {
      issuer,
      audience: options.clientId,
      jwksUri: options.jwksUri ?? `${issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== undefined && payload.token_use !== 'id') throw new Error('Not an ID token');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: new LoopbackAwareFetcher() }) },
  );
  return {
    async verify(authorization) {
      const token = bearerToken(authorization);
      if (!token) throw new UnauthenticatedError();
      let payload: Record<string, unknown>;
      try {
        payload = await verifier.verify(token);
      } catch {
        // Which check failed (expired, wrong issuer, forged) is the caller's business only in logs: all are 401.
        throw new UnauthenticatedError('The sign-in has expired or is not valid here; sign in again.');
      }
      const subject = typeof payload.sub === 'string' ? payload.sub : '';
      if (!subject) throw new UnauthenticatedError();
      const groups = payload['cognito:groups'];
      return {
        kind: 'person',
        subject,
        name: firstText(payload.name, payload.email, payload['cognito:username'], payload.preferred_username) ?? subject,
        groups: knownGroups(Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : []),
      };
    },
  };
}

/** The token of `Bearer <token>`, or a bare token (API Gateway's Cognito authorizer takes either); undefined for anything else. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^(?:Bearer\s+)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization.trim());
  return match?.[1];
}

function firstText(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.trim().length > 0);
}

/**
 * aws-jwt-verify's own fetcher speaks HTTPS only, which is all Cognito needs. The local stack's OIDC provider serves its
 * keys over plain HTTP on loopback, so loopback http:// addresses (and only those) are fetched with Node's fetch;
 * everything else goes through the library's fetcher unchanged.
 */
class LoopbackAwareFetcher implements Fetcher {
  private readonly https = new SimpleFetcher({ defaultRequestOptions: { responseTimeout: 3_000 } });

  async fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    const url = new URL(uri);
    if (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (response.status !== 200) throw new Error(`${uri} answered ${response.status}`);
      return response.arrayBuffer();
    }
    return this.https.fetch(uri, requestOptions, data);
  }
}
