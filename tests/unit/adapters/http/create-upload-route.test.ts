import { S3Client } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3CameraUploadStore } from '../../../../functions/adapters/s3/s3-camera-upload-store';
import { isInspectionId } from '../../../../functions/core/inspection-keys';
import { createCreateUploadHandler } from '../../../../functions/adapters/http/create-upload-route';
import { apiEvent, lambdaContext } from '../../../fixtures/api-events';
import { MemoryLogger } from '../../../fixtures/fakes';

const ORIGIN = 'https://inspect.fab.example';
const NOW = new Date('2026-11-26T10:00:00.000Z');
const MAX_BYTES = 20 * 1024 * 1024;

describe('POST /uploads', () => {
  let logger: MemoryLogger;
  const uploads = new S3CameraUploadStore({
    client: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }),
    bucket: 'images',
    now: () => NOW,
  });
  const handler = () =>
    createCreateUploadHandler(() => ({ allowedOrigins: [ORIGIN], logger, uploads, maxBytes: MAX_BYTES, expiresInSeconds: 300, now: () => NOW }));
  const post = (overrides: Parameters<typeof apiEvent>[0] = {}) => handler()(apiEvent({ resource: '/uploads', path: '/uploads', ...overrides }), lambdaContext);
  const policyOf = (fields: Record<string, string>) => JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8'));

  beforeEach(() => {
    logger = new MemoryLogger();
  });

  it('mints the inspection id and answers 201 with a presigned POST for incoming/<id> and where to poll', async () => {
    // Act
    const response = await post({ queryStringParameters: { station: 'litho-3' } });
    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(isInspectionId(body.inspectionId)).toBe(true);
    expect(body.statusUrl).toBe(`/inspections/${body.inspectionId}`);
    expect(response.headers?.Location).toBe(body.statusUrl);
    expect(body.upload).toMatchObject({
      method: 'POST',
      maxBytes: MAX_BYTES,
      expiresAt: '2026-11-26T10:05:00.000Z',
      url: 'https://images.s3.eu-west-1.amazonaws.com',
    });
    expect(body.upload.fields.key).toBe(`incoming/${body.inspectionId}`);
    expect(body.upload.fields['x-amz-meta-station-id']).toBe('litho-3');
    const policy = policyOf(body.upload.fields);
    expect(policy.conditions).toContainEqual(['content-length-range', 1, MAX_BYTES]);
    expect(policy.conditions).toContainEqual({ key: `incoming/${body.inspectionId}` });
    expect(policy.conditions).toContainEqual({ 'x-amz-meta-station-id': 'litho-3' });
    expect(policy.expiration).toBe('2026-11-26T10:05:00Z');
  });

  it('takes the station from a JSON body', async () => {
    const response = await post({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ station: 'etch-2' }) });
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body).upload.fields['x-amz-meta-station-id']).toBe('etch-2');
  });

  it('grants an upload with no station binding when none is named', async () => {
    const response = await post();
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body).upload.fields).not.toHaveProperty('x-amz-meta-station-id');
  });

  it('never lets the client choose the key: a key, filename or path in the request is ignored', async () => {
    // Act
    const response = await post({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: 'inspections/2026/11/26/evil.json', filename: '../evil.jpg', station: 'litho-3' }),
      queryStringParameters: { key: 'inspections/x', station: 'litho-3' },
    });
    // Assess
    const body = JSON.parse(response.body);
    expect(body.upload.fields.key).toBe(`incoming/${body.inspectionId}`);
    expect(JSON.stringify(policyOf(body.upload.fields))).not.toContain('evil');
  });

  it('mints a new id for every grant', async () => {
    const [first, second] = await Promise.all([post(), post()]);
    expect(JSON.parse(first.body).inspectionId).not.toBe(JSON.parse(second.body).inspectionId);
  });

  it.each([
    ['a path in the station', { queryStringParameters: { station: '../inspections' } }],
    ['a station too long', { queryStringParameters: { station: 'x'.repeat(65) } }],
    ['a non-string station', { headers: { 'Content-Type': 'application/json' }, body: '{"station": 7}' }],
    ['malformed JSON', { headers: { 'Content-Type': 'application/json' }, body: '{"station":' }],
    ['a JSON array', { headers: { 'Content-Type': 'application/json' }, body: '[]' }],
  ])('answers 400 MALFORMED_REQUEST for %s', async (_name, overrides) => {
    const response = await post(overrides);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe('MALFORMED_REQUEST');
  });

  it('answers CORS only for the configured origin', async () => {
    const allowed = await post({ headers: { Origin: ORIGIN } });
    const other = await post({ headers: { Origin: 'https://evil.example' } });
    expect(allowed.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    expect(other.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
