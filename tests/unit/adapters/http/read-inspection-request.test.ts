import { describe, expect, it } from 'vitest';
import { readInspectionRequest } from '../../../../functions/adapters/http/read-inspection-request';
import { apiEvent, multipartBody, rawUploadEvent } from '../../../fixtures/api-events';

const image = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0, 0xff, 0xd9]);
const maxBytes = 1024;

function jsonEvent(body: unknown, headers: Record<string, string> = {}) {
  return apiEvent({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('readInspectionRequest', () => {
  it.each(['image/jpeg', 'image/png', 'application/octet-stream', 'text/plain'])('reads a raw %s body byte for byte', async (contentType) => {
    const upload = await readInspectionRequest(rawUploadEvent(image, contentType), maxBytes);
    expect(upload.bytes).toEqual(image);
    expect(upload.stationId).toBeUndefined();
  });

  it('reads the file field "image" of multipart/form-data with its station field', async () => {
    // Prepare
    const { body, contentType } = multipartBody([
      { name: 'note', value: 'ignored' },
      { name: 'image', value: image, filename: 'wafer.png', contentType: 'image/png' },
      { name: 'station', value: 'litho-7' },
    ]);
    // Act
    const upload = await readInspectionRequest(
      apiEvent({ headers: { 'Content-Type': contentType }, body: body.toString('base64'), isBase64Encoded: true }),
      maxBytes,
    );
    // Assess
    expect(upload).toEqual({ bytes: image, stationId: 'litho-7' });
  });

  it('reads a data URL or bare base64 from JSON', async () => {
    const dataUrl = `data:image/jpeg;base64,${image.toString('base64')}`;
    expect((await readInspectionRequest(jsonEvent({ image: dataUrl, station: 'cmp-2' }), maxBytes)).bytes).toEqual(image);
    expect((await readInspectionRequest(jsonEvent({ image: dataUrl, station: 'cmp-2' }), maxBytes)).stationId).toBe('cmp-2');
    expect((await readInspectionRequest(jsonEvent({ image: image.toString('base64') }), maxBytes)).bytes).toEqual(image);
  });

  it.each([
    ['text/plain;charset=UTF-8 (jQuery, the original sample page)', { 'Content-Type': 'text/plain;charset=UTF-8' }],
    ["application/x-www-form-urlencoded; charset=UTF-8 (jQuery's default)", { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' }],
    ['no Content-Type at all', {}],
  ])('recognises a JSON upload by its bytes when it is sent as %s', async (_name, headers) => {
    // Prepare: white space before the object, as some clients send it.
    const body = `\n  ${JSON.stringify({ image: `data:image/jpeg;base64,${image.toString('base64')}`, station: 'litho-3' })}`;

    // Act
    const upload = await readInspectionRequest(apiEvent({ headers, body }), maxBytes);

    // Assess
    expect(upload).toEqual({ bytes: image, stationId: 'litho-3' });
  });

  it('keeps a text/plain body that is not a JSON upload as raw bytes (for the bytes to be judged)', async () => {
    for (const body of ['{"picture": "abc"}', '{not json', 'plain words']) {
      const upload = await readInspectionRequest(apiEvent({ headers: { 'Content-Type': 'text/plain' }, body }), maxBytes);
      expect(upload.bytes.toString('utf8')).toBe(body);
    }
  });

  it('takes the station from the query string or the X-Station-Id header', async () => {
    expect((await readInspectionRequest(rawUploadEvent(image, 'image/jpeg', { queryStringParameters: { station: 'q-1' } }), maxBytes)).stationId).toBe('q-1');
    expect(
      (await readInspectionRequest(rawUploadEvent(image, 'image/jpeg', { headers: { 'content-type': 'image/jpeg', 'X-Station-ID': 'h-1' } }), maxBytes))
        .stationId,
    ).toBe('h-1');
  });

  it.each([
    ['no body', apiEvent({ headers: { 'content-type': 'image/jpeg' } })],
    ['bad JSON', apiEvent({ headers: { 'content-type': 'application/json' }, body: '{"image":' })],
    ['JSON array', jsonEvent([1, 2])],
    ['JSON without image', jsonEvent({ picture: 'abc' })],
    ['JSON image not a string', jsonEvent({ image: 42 })],
    ['JSON bad base64', jsonEvent({ image: 'not base64 !!!' })],
    ['JSON data URL not base64', jsonEvent({ image: 'data:image/png,rawtext' })],
    ['JSON station not a string', jsonEvent({ image: image.toString('base64'), station: 7 })],
    ['bad station id', rawUploadEvent(image, 'image/jpeg', { queryStringParameters: { station: '../../etc' } })],
    ['multipart without boundary', apiEvent({ headers: { 'content-type': 'multipart/form-data' }, body: 'abc' })],
    [
      'multipart without image field',
      (() => {
        const { body, contentType } = multipartBody([{ name: 'photo', value: image, filename: 'a.jpg' }]);
        return apiEvent({ headers: { 'content-type': contentType }, body: body.toString('base64'), isBase64Encoded: true });
      })(),
    ],
    [
      'multipart cut short',
      (() => {
        const { body, contentType } = multipartBody([{ name: 'image', value: image, filename: 'a.jpg' }]);
        return apiEvent({ headers: { 'content-type': contentType }, body: body.subarray(0, 60).toString('base64'), isBase64Encoded: true });
      })(),
    ],
  ])('rejects %s as a malformed request', async (_name, event) => {
    await expect(readInspectionRequest(event, maxBytes)).rejects.toMatchObject({ code: 'MALFORMED_REQUEST', kind: 'refused' });
  });

  it('rejects an image over the limit with 413 in every request form', async () => {
    const big = Buffer.alloc(maxBytes + 1, 7);
    const { body, contentType } = multipartBody([{ name: 'image', value: big, filename: 'big.jpg' }]);
    const events = [
      rawUploadEvent(big),
      jsonEvent({ image: big.toString('base64') }),
      apiEvent({ headers: { 'content-type': contentType }, body: body.toString('base64'), isBase64Encoded: true }),
    ];
    for (const event of events) {
      await expect(readInspectionRequest(event, maxBytes)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', kind: 'refused' });
    }
  });
});

describe('readInspectionRequest with a multipart body cut inside the file', () => {
  it('answers a malformed request instead of crashing on the aborted file stream', async () => {
    const { body, contentType } = multipartBody([{ name: 'image', value: Buffer.alloc(500, 1), filename: 'a.jpg', contentType: 'image/jpeg' }]);
    const event = apiEvent({ headers: { 'content-type': contentType }, body: body.subarray(0, body.length - 100).toString('base64'), isBase64Encoded: true });
    await expect(readInspectionRequest(event, maxBytes)).rejects.toMatchObject({ code: 'MALFORMED_REQUEST' });
  });
});
