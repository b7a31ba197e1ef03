import busboy from 'busboy';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { STATION_ID } from '../../core/camera-upload';
import { ImageTooLargeError, MalformedRequestError } from '../../core/errors';
import { headerValue } from './headers';

/** The image and station named by one upload request, whatever form the request took. */
export interface UploadedWaferImage {
  bytes: Buffer;
  /** The station the client named, or undefined. */
  stationId: string | undefined;
}

const DATA_URL = /^data:[^,]*?;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Read the wafer image out of an API Gateway proxy event: multipart/form-data (file field `image`),
 * JSON `{"image": "<data URL or base64>"}`, or else the raw body. The content type only says how to
 * unwrap the request; what the bytes are is decided later by the bytes themselves. A JSON upload is also recognised
 * by its bytes whatever its Content-Type says (the original Lookout sample's page sends it as `text/plain` through
 * jQuery; other clients send none, or jQuery's default `application/x-www-form-urlencoded`): a body that starts, after
 * white space, with `{` and parses as a JSON object with an `image` field.
 */
export async function readInspectionRequest(event: APIGatewayProxyEvent, maxBytes: number): Promise<UploadedWaferImage> {
  const contentType = (headerValue(event.headers, 'content-type') ?? '').toLowerCase();
  const body = bodyBytes(event);
  const fromQueryOrHeader = event.queryStringParameters?.station ?? headerValue(event.headers, 'x-station-id');
  let upload: UploadedWaferImage;
  if (contentType.startsWith('multipart/form-data')) upload = await readMultipart(body, headerValue(event.headers, 'content-type')!, maxBytes);
  else if (contentType.startsWith('application/json') || contentType.endsWith('+json') || isJsonUpload(body)) upload = readJson(body, maxBytes);
  else upload = { bytes: body, stationId: undefined };
  const stationId = upload.stationId ?? fromQueryOrHeader;
  if (stationId !== undefined && !STATION_ID.test(stationId)) {
    throw new MalformedRequestError('The station id must be 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit.');
  }
  if (upload.bytes.length === 0) throw new MalformedRequestError('The request carries no image.');
  if (upload.bytes.length > maxBytes) throw new ImageTooLargeError(upload.bytes.length, maxBytes);
  return { bytes: upload.bytes, stationId };
}

function bodyBytes(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** A body that is a JSON object with an `image` field, whatever the request called it. PNG and JPEG bytes never start with `{`. */
function isJsonUpload(body: Buffer): boolean {
  let start = 0;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x09 || body[start] === 0x0a || body[start] === 0x0d)) start += 1;
  if (body[start] !== 0x7b) return false;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'image' in parsed;
  } catch {
    return false;
  }
}

function readJson(body: Buffer, maxBytes: number): UploadedWaferImage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedRequestError('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedRequestError('The JSON body must be an object with an "image" field.');
  }
  const { image, station } = parsed as Record<string, unknown>;
  if (typeof image !== 'string' || image.length === 0) {
    throw new MalformedRequestError('The JSON body must have an "image" field holding a data URL or base64 text.');
  }
  if (station !== undefined && typeof station !== 'string') throw new MalformedRequestError('"station" must be a string.');
  const base64 = image.replace(DATA_URL, '').replace(/\s+/g, '');
  if (image.startsWith('data:') && !DATA_URL.test(image)) throw new MalformedRequestError('The "image" data URL must be base64-encoded.');
  if (!BASE64.test(base64)) throw new MalformedRequestError('The "image" field is not valid base64.');
  // Refuse before decoding: the decoded size of base64 text is known from its length.
  const decodedLength = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (decodedLength > maxBytes) throw new ImageTooLargeError(decodedLength, maxBytes);
  return { bytes: Buffer.from(base64, 'base64'), stationId: station };
}

function readMultipart(body: Buffer, contentType: string, maxBytes: number): Promise<UploadedWaferImage> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fileSize: maxBytes + 1, fields: 8, fieldSize: 1024, parts: 10 },
      });
    } catch {
      reject(new MalformedRequestError('The multipart/form-data request has no valid boundary.'));
      return;
    }
    const chunks: Buffer[] = [];
    let sawImage = false;
    let tooLarge = false;
    let stationId: string | undefined;
    parser.on('file', (name, stream) => {
      // A body cut short errors every open file stream too; unheard, that error would crash the process.
      stream.on('error', () => reject(new MalformedRequestError('The multipart/form-data body is malformed.')));
      if (name !== 'image') {
        stream.resume();
        return;
      }
      sawImage = true;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        tooLarge = true;
      });
    });
    parser.on('field', (name, value) => {
      if (name === 'station') stationId = value;
    });
    parser.on('error', () => reject(new MalformedRequestError('The multipart/form-data body is malformed.')));
    parser.on('close', () => {
      const bytes = Buffer.concat(chunks);
      if (tooLarge) reject(new ImageTooLargeError(bytes.length, maxBytes));
      else if (!sawImage) reject(new MalformedRequestError('The multipart/form-data body has no file field named "image".'));
      else resolve({ bytes, stationId });
    });
    parser.end(body);
  });
}
