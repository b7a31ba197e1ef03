import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { Readable, type Writable } from 'node:stream';
import type S3rver from 's3rver';
import type { S3rverContext } from 's3rver';

// Why this exists: s3rver 3.7.1 stores a browser-style POST upload (a presigned POST's form) without looking at its
// policy or signature ("policy: unimplemented" in its postObject controller), so the camera path's bounds (the size
// range, the key, the Content-Type, the signature, the expiry) would never be exercised locally. S3 checks them all
// before it stores anything. enforcePostPolicy puts that check in front of s3rver's controller, as S3 answers it
// (Amazon S3 API reference: "POST Policy" / "Browser-Based Uploads Using POST (AWS Signature Version 4)"):
//
// - a form with none of the signing fields is an anonymous write to a private bucket: 403 AccessDenied;
// - a signed form needs X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Signature and Policy (SigV2:
//   AWSAccessKeyId, Signature, Policy): 400 InvalidArgument naming the missing one;
// - the signature is the SigV4 HMAC of the base64 policy text with the signing key of the credential's scope
//   (date/region/s3/aws4_request) and the account's secret (the S3RVER/S3RVER key pair the adapters use locally):
//   403 SignatureDoesNotMatch (an unknown key: 403 InvalidAccessKeyId);
// - the policy is base64 JSON with `expiration` and `conditions`: 400 InvalidPolicyDocument otherwise; past its
//   expiration: 403 AccessDenied "Invalid according to Policy: Policy expired.";
// - every condition ({"field": value}, ["eq", "$field", value], ["starts-with", "$field", prefix],
//   ["content-length-range", min, max]) must hold: 403 AccessDenied "Invalid according to Policy: Policy Condition
//   failed: [...]"; every form field but x-amz-signature, file, policy and x-ignore-* must be named by a condition:
//   403 AccessDenied "Invalid according to Policy: Extra input fields: <field>". Field names are case-insensitive
//   (the JS SDK sends `Policy`, boto3 `policy`); values are compared exactly; `bucket` is the bucket of the URL;
//   a starts-with on Content-Type applies to each of its comma-separated values;
// - the file's size must be within content-length-range: 400 EntityTooSmall / EntityTooLarge, with ProposedSize and
//   MinSizeAllowed / MaxSizeAllowed.
//
// Only fields before the file count (S3 ignores the ones after it, and so does s3rver). The whole form is read first,
// so an upload that is refused is never half-read on the socket; s3rver then parses the same bytes. Not emulated:
// `${filename}` in the key, POST policies of buckets that allow public writes, `success_action_*` checks beyond the
// conditions.

const require = createRequire(import.meta.url);
// Thrown from a middleware, an S3Error reaches s3rver's error handler, which answers with its status and S3's XML body.
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: Record<string, string>) => Error;
// s3rver's account registry: access key id → account, whose accessKeys map holds the secret (S3RVER → S3RVER).
const AWSAccount = require('s3rver/lib/models/account') as { registry: Map<string, { accessKeys: Map<string, string> }> };

/** One field of a POST form, as sent (name with its case). */
export interface PostFormField {
  name: string;
  value: string;
}

/** A POST form as S3 reads it: the fields before the file, and the file's size. */
export interface PostForm {
  fields: PostFormField[];
  /** The `file` part: its size in bytes; undefined when the form has none (s3rver answers that itself). */
  file?: { sizeBytes: number; filename?: string };
}

/** Why S3 refuses a POST upload: an S3 error code, its HTTP status, message and the extra elements of its XML body. */
export interface PostPolicyRejection {
  code: string;
  status: number;
  message: string;
  detail?: Record<string, string>;
}

export interface PostPolicyCheckOptions {
  /** The bucket of the request URL (`bucket` conditions compare with it). */
  bucket: string;
  /** Milliseconds since the epoch; default Date.now. */
  now?: number;
  /** The secret of an access key id, or undefined when the key is unknown; default s3rver's accounts (S3RVER/S3RVER). */
  secretFor?: (accessKeyId: string) => string | undefined;
}

/** The largest form read into memory; S3 allows 5 GB, the emulator refuses more than this as EntityTooLarge. */
export const MAX_POST_FORM_BYTES = 256 * 1024 * 1024;

const EXEMPT_FIELDS = new Set(['x-amz-signature', 'file', 'policy']);
const SIGV2_EXEMPT_FIELDS = new Set(['awsaccesskeyid', 'signature']);
const SIGV4_FIELDS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Signature', 'Policy'] as const;
const SIGV2_FIELDS = ['AWSAccessKeyId', 'Signature', 'Policy'] as const;

function rejection(code: string, status: number, message: string, detail?: Record<string, string>): PostPolicyRejection {
  return { code, status, message, ...(detail ? { detail } : {}) };
}

function missingField(name: string): PostPolicyRejection {
  return rejection('InvalidArgument', 400, `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    ArgumentName: name,
    ArgumentValue: '',
  });
}

/** The SigV4 signature of a base64 POST policy: HMAC chain date → region → service → aws4_request, then the policy text. */
export function signPostPolicyV4(policyBase64: string, secretAccessKey: string, scope: { date: string; region: string; service: string }): string {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, scope.date), scope.region), scope.service), 'aws4_request');
  return createHmac('sha256', signingKey).update(policyBase64, 'utf8').digest('hex');
}

function defaultSecretFor(accessKeyId: string): string | undefined {
  return AWSAccount.registry.get(accessKeyId)?.accessKeys.get(accessKeyId);
}

/** How a condition is printed in S3's "Policy Condition failed" message. */
function describeCondition(operator: string, field: string, value: string): string {
  return `[${JSON.stringify(operator)}, ${JSON.stringify(`$${field}`)}, ${JSON.stringify(value)}]`;
}

/**
 * Check a POST upload form against its policy and signature as S3 does; undefined when S3 would store it, otherwise
 * the error S3 answers. Pure: the caller gives the parsed form, the URL's bucket and (optionally) the time and keys.
 */
export function checkPostPolicy(form: PostForm, options: PostPolicyCheckOptions): PostPolicyRejection | undefined {
  const byName = new Map<string, PostFormField>();
  for (const field of form.fields) if (!byName.has(field.name.toLowerCase())) byName.set(field.name.toLowerCase(), field);
  const value = (name: string) => byName.get(name.toLowerCase())?.value;
  const has = (name: string) => byName.has(name.toLowerCase());
  const secretFor = options.secretFor ?? defaultSecretFor;
  const now = options.now ?? Date.now();

  const sigV2 = has('AWSAccessKeyId') || has('Signature');
  const sigV4 = SIGV4_FIELDS.slice(0, 4).some(has);
  // Without any signing field the form is an anonymous write, which a private bucket refuses.
  if (!sigV2 && !sigV4) return rejection('AccessDenied', 403, 'Access Denied');

  const required = sigV4 ? SIGV4_FIELDS : SIGV2_FIELDS;
  const missing = required.find((name) => !has(name) || value(name) === '');
  if (missing) return missingField(missing);
  const policyText = value('Policy')!;

  // The signature first: a form whose policy was altered is refused whatever its policy says.
  let accessKeyId: string;
  let expected: string;
  let provided: string;
  let secret: string | undefined;
  if (sigV4) {
    const algorithm = value('X-Amz-Algorithm')!;
    if (algorithm !== 'AWS4-HMAC-SHA256') {
      return rejection('InvalidArgument', 400, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', {
        ArgumentName: 'X-Amz-Algorithm',
        ArgumentValue: algorithm,
      });
    }
    const credential = value('X-Amz-Credential')!;
    const [keyId, date, region, service, terminator, ...extra] = credential.split('/');
    if (!keyId || !date || !/^\d{8}$/.test(date) || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
      return rejection(
        'InvalidArgument',
        400,
        'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        {
          ArgumentName: 'X-Amz-Credential',
          ArgumentValue: credential,
        },
      );
    }
    if (service !== 's3') {
      return rejection('InvalidArgument', 400, `Error parsing the X-Amz-Credential parameter; incorrect service "${service}". This endpoint belongs to "s3".`, {
        ArgumentName: 'X-Amz-Credential',
        ArgumentValue: credential,
      });
    }
    accessKeyId = keyId;
    secret = secretFor(accessKeyId);
    provided = value('X-Amz-Signature')!;
    expected = secret === undefined ? '' : signPostPolicyV4(policyText, secret, { date, region, service });
  } else {
    accessKeyId = value('AWSAccessKeyId')!;
    secret = secretFor(accessKeyId);
    provided = value('Signature')!;
    expected = secret === undefined ? '' : createHmac('sha1', secret).update(policyText, 'utf8').digest('base64');
  }
  if (secret === undefined) {
    return rejection('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  if (provided !== expected) {
    return rejection(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: accessKeyId,
        StringToSign: policyText,
        SignatureProvided: provided,
        StringToSignBytes: Buffer.from(policyText, 'utf8').toString('hex').match(/../g)?.join(' ') ?? '',
      },
    );
  }

  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    return rejection('InvalidPolicyDocument', 400, 'Invalid Policy: Invalid JSON.');
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return rejection('InvalidPolicyDocument', 400, 'Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') return rejection('InvalidPolicyDocument', 400, 'Invalid Policy: Policy missing expiration.');
  const expiresAt = Date.parse(expiration);
  if (!Number.isFinite(expiresAt)) return rejection('InvalidPolicyDocument', 400, `Invalid Policy: Invalid 'expiration' value: '${expiration}'`);
  if (!Array.isArray(conditions)) return rejection('InvalidPolicyDocument', 400, 'Invalid Policy: Policy missing conditions.');
  if (now >= expiresAt) return rejection('AccessDenied', 403, 'Invalid according to Policy: Policy expired.');

  // The value a condition is checked against: the form field, except `bucket`, which is the request's bucket.
  const subject = (field: string) => (field.toLowerCase() === 'bucket' ? options.bucket : (value(field) ?? ''));
  const covered = new Set<string>();
  let range: { min: number; max: number } | undefined;
  for (const condition of conditions as unknown[]) {
    if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
      for (const [field, expectedValue] of Object.entries(condition)) {
        if (typeof expectedValue !== 'string')
          return rejection('InvalidPolicyDocument', 400, `Invalid Policy: Invalid Simple-Condition: value must be a string.`);
        const name = field.replace(/^\$/, '');
        covered.add(name.toLowerCase());
        if (subject(name) !== expectedValue) {
          return rejection('AccessDenied', 403, `Invalid according to Policy: Policy Condition failed: ${describeCondition('eq', name, expectedValue)}`);
        }
      }
      continue;
    }
    if (!Array.isArray(condition) || condition.length !== 3)
      return rejection('InvalidPolicyDocument', 400, `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
    const [operator, first, second] = condition as [unknown, unknown, unknown];
    const op = typeof operator === 'string' ? operator.toLowerCase() : '';
    if (op === 'content-length-range') {
      const min = Number(first);
      const max = Number(second);
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
        return rejection('InvalidPolicyDocument', 400, `Invalid Policy: Invalid content-length-range: ${JSON.stringify(condition)}`);
      }
      range = { min, max };
      continue;
    }
    if ((op !== 'eq' && op !== 'starts-with') || typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') {
      return rejection('InvalidPolicyDocument', 400, `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
    }
    const name = first.slice(1);
    covered.add(name.toLowerCase());
    const actual = subject(name);
    const holds =
      op === 'eq'
        ? actual === second
        : name.toLowerCase() === 'content-type'
          ? actual.split(',').every((part) => part.trim().startsWith(second))
          : actual.startsWith(second);
    if (!holds) return rejection('AccessDenied', 403, `Invalid according to Policy: Policy Condition failed: ${describeCondition(op, name, second)}`);
  }

  for (const field of form.fields) {
    const name = field.name.toLowerCase();
    if (EXEMPT_FIELDS.has(name) || name.startsWith('x-ignore-') || (sigV2 && !sigV4 && SIGV2_EXEMPT_FIELDS.has(name)) || covered.has(name)) continue;
    return rejection('AccessDenied', 403, `Invalid according to Policy: Extra input fields: ${field.name}`);
  }

  if (range && form.file) {
    const size = form.file.sizeBytes;
    if (size < range.min) {
      return rejection('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: String(size),
        MinSizeAllowed: String(range.min),
      });
    }
    if (size > range.max) {
      return rejection('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
        ProposedSize: String(size),
        MaxSizeAllowed: String(range.max),
      });
    }
  }
  return undefined;
}

/** The multipart boundary of a `multipart/form-data` content type, or undefined. */
function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Read a `multipart/form-data` body as S3 reads a POST form: the fields up to the part named `file` (decoded as
 * UTF-8) and the size of that part; the rest is ignored. Undefined when the body is not well-formed multipart.
 */
export function parsePostForm(body: Buffer, contentType: string): PostForm | undefined {
  const boundary = boundaryOf(contentType);
  if (!boundary) return undefined;
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let position = body.indexOf(dashBoundary);
  if (position < 0) return undefined;
  position += dashBoundary.length;
  const fields: PostFormField[] = [];
  for (;;) {
    if (body.subarray(position, position + 2).toString('latin1') === '--') return { fields };
    // Transport padding, then CRLF, before the part's headers.
    while (body[position] === 0x20 || body[position] === 0x09) position += 1;
    if (body.subarray(position, position + 2).toString('latin1') !== '\r\n') return undefined;
    position += 2;
    const headersEnd = body.indexOf('\r\n\r\n', position, 'latin1');
    if (headersEnd < 0) return undefined;
    const headers = body.subarray(position, headersEnd).toString('utf8');
    const dataStart = headersEnd + 4;
    const dataEnd = body.indexOf(delimiter, dataStart);
    if (dataEnd < 0) return undefined;
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = parameterOf(disposition, 'name');
    if (name === undefined) return undefined;
    if (name === 'file') {
      const filename = parameterOf(disposition, 'filename');
      return { fields, file: { sizeBytes: dataEnd - dataStart, ...(filename !== undefined ? { filename } : {}) } };
    }
    fields.push({ name, value: body.subarray(dataStart, dataEnd).toString('utf8') });
    position = dataEnd + delimiter.length;
  }
}

function parameterOf(disposition: string, parameter: string): string | undefined {
  const match = new RegExp(`;\\s*${parameter}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}

async function readWhole(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the limit the rest is still read (so the client is answered, not cut off) but not kept.
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

/** A POST Object upload: `POST /<bucket>` (path style) with a form body and no subresource query. */
function uploadBucketOf(ctx: S3rverContext): string | undefined {
  if (ctx.method !== 'POST' || ctx.querystring !== '') return undefined;
  const segments = ctx.path.split('/').filter((segment) => segment.length > 0);
  if (segments.length !== 1) return undefined;
  if (!/^multipart\/form-data\b/i.test(String(ctx.headers['content-type'] ?? ''))) return undefined;
  try {
    return decodeURIComponent(segments[0]!);
  } catch {
    return undefined;
  }
}

export interface EnforcePostPolicyOptions {
  /** The clock the policy's expiration is compared with (ms); default Date.now. */
  now?: () => number;
}

/**
 * Make s3rver check every POST Object upload (a presigned POST form) against its policy and signature as S3 does,
 * before its own controller stores anything (idempotent). Call before `run()`: Koa builds its middleware chain then.
 */
export function enforcePostPolicy(server: S3rver, options: EnforcePostPolicyOptions = {}): void {
  const tagged = server as S3rver & { [ENFORCED]?: true };
  if (tagged[ENFORCED]) return;
  tagged[ENFORCED] = true;
  server.middleware.unshift(async (ctx, next) => {
    const bucket = uploadBucketOf(ctx);
    // A missing bucket is s3rver's NoSuchBucket to answer, as S3 answers it before looking at the form.
    if (bucket === undefined || !(await server.store.getBucket(bucket))) return next();
    const body = await readWhole(ctx.req, MAX_POST_FORM_BYTES);
    if (!body) {
      throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(MAX_POST_FORM_BYTES) });
    }
    // s3rver's postObject reads the form with ctx.req.pipe(busboy); the request has been read, so it gets the same bytes.
    ctx.req.pipe = <T extends NodeJS.WritableStream>(destination: T) => Readable.from([body]).pipe(destination as unknown as Writable) as unknown as T;
    const form = parsePostForm(body, String(ctx.headers['content-type']));
    if (!form) throw new S3Error('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
    const refused = checkPostPolicy(form, { bucket, now: (options.now ?? Date.now)() });
    if (refused) throw new S3Error(refused.code, refused.message, refused.detail);
    return next();
  });
}

const ENFORCED = Symbol.for('waferwatch.s3-post-policy');
