import { describe, expect, it } from 'vitest';
import { apiConfig } from '../../../functions/config/api';
import { parseEnvironment } from '../../../functions/config/environment';

describe('apiConfig', () => {
  it('answers no origin and is the local stage unless told otherwise', () => {
    // Act + Assess
    expect(parseEnvironment([apiConfig], {})).toEqual({ STAGE: 'local', ALLOWED_ORIGINS: [] });
  });

  it('refuses a wildcard or malformed CORS origin outside the local stage', () => {
    // Act + Assess
    expect(() => parseEnvironment([apiConfig], { STAGE: 'prod', ALLOWED_ORIGINS: '*' })).toThrow(/ALLOWED_ORIGINS must list exact origins in stage prod/);
    expect(() => parseEnvironment([apiConfig], { STAGE: 'prod', ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/not an origin/);
    expect(parseEnvironment([apiConfig], { STAGE: 'prod', ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443,' }).ALLOWED_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
    expect(parseEnvironment([apiConfig], { STAGE: 'local', ALLOWED_ORIGINS: '*' }).ALLOWED_ORIGINS).toEqual(['*']);
  });
});
