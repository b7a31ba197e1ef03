import { wireAuthorizeRequest } from '../wiring/authorize-request';

/** API Gateway REQUEST authorizer of the routes people and cameras share: a person's ID token or a camera's key. */
export const handler = wireAuthorizeRequest();
