import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-in for the Amazon SNS API (dev and test only), as the real service speaks it to the AWS SDKs: the query
 * protocol (form-encoded POST, `Action=...`) answered in XML. It does CreateTopic, ListTopics and Publish, and keeps
 * what was published so tests and the local stack can show who would have been notified. Nobody is emailed or paged.
 */

/** One message published to a topic. */
export interface PublishedNotification {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  publishedAt: string;
}

export interface SnsEmulatorOptions {
  region?: string;
  accountId?: string;
  host?: string;
  port?: number;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_BODY_BYTES = 512 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

/** The SNS emulator: start() it, point an SNSClient's endpoint at `endpoint`. */
export class SnsEmulator {
  private readonly region: string;
  private readonly accountId: string;
  private readonly topics = new Set<string>();
  private readonly messages: PublishedNotification[] = [];
  private server: Server | undefined;
  private failures: Array<{ code: string; status: number }> = [];

  constructor(private readonly options: SnsEmulatorOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
  }

  /** Listen on loopback; resolves with the endpoint URL. */
  async start(): Promise<string> {
    const server = createServer((request, response) => void this.serve(request, response));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://${this.options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  }

  /** Create a topic by name (idempotent, like CreateTopic); resolves with its ARN. */
  createTopic(name: string): string {
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  /** What was published, oldest first (copies). */
  published(topicArn?: string): PublishedNotification[] {
    return this.messages
      .filter((message) => topicArn === undefined || message.topicArn === topicArn)
      .map((message) => ({ ...message, attributes: { ...message.attributes } }));
  }

  /** Answer the next `count` requests with this SNS error (e.g. Throttled 400, InternalError 500). */
  failNext(count: number, code: string, status: number): void {
    for (let index = 0; index < count; index += 1) this.failures.push({ code, status });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).byteLength;
        if (size > MAX_BODY_BYTES) return sendError(response, requestId, 400, 'InvalidParameter', 'The request is too large.');
        chunks.push(chunk as Buffer);
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const failure = this.failures.shift();
      if (failure) return sendError(response, requestId, failure.status, failure.code, `${failure.code} (emulated)`);
      const action = form.get('Action');
      if (request.method !== 'POST' || !action) return sendError(response, requestId, 400, 'InvalidAction', 'Send a POST with an Action.');
      if (action === 'CreateTopic') {
        const name = form.get('Name') ?? '';
        if (!TOPIC_NAME.test(name)) return sendError(response, requestId, 400, 'InvalidParameter', 'Invalid parameter: Topic Name');
        return sendXml(response, requestId, 'CreateTopic', `<TopicArn>${escapeXml(this.createTopic(name))}</TopicArn>`);
      }
      if (action === 'ListTopics') {
        const members = [...this.topics].map((arn) => `<member><TopicArn>${escapeXml(arn)}</TopicArn></member>`).join('');
        return sendXml(response, requestId, 'ListTopics', `<Topics>${members}</Topics>`);
      }
      if (action === 'Publish') return this.publish(form, response, requestId);
      return sendError(response, requestId, 400, 'InvalidAction', `The action ${action} is not valid for this endpoint.`);
    } catch (error) {
      sendError(response, requestId, 500, 'InternalError', error instanceof Error ? error.message : String(error));
    }
  }

  private publish(form: URLSearchParams, response: ServerResponse, requestId: string): void {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    const message = form.get('Message');
    if (!topicArn)
      return sendError(response, requestId, 400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (message === null || message.length === 0)
      return sendError(response, requestId, 400, 'InvalidParameter', 'Invalid parameter: Message Reason: Empty message');
    if (Buffer.byteLength(message) > 256 * 1024) return sendError(response, requestId, 400, 'InvalidParameter', 'Invalid parameter: Message too long');
    if (!this.topics.has(topicArn)) return sendError(response, requestId, 404, 'NotFound', 'Topic does not exist');
    const subject = form.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject))) {
      return sendError(response, requestId, 400, 'InvalidParameter', 'Invalid parameter: Subject');
    }
    const attributes: Record<string, string> = {};
    for (let index = 1; form.has(`MessageAttributes.entry.${index}.Name`); index += 1) {
      attributes[form.get(`MessageAttributes.entry.${index}.Name`) as string] = form.get(`MessageAttributes.entry.${index}.Value.StringValue`) ?? '';
    }
    const messageId = randomUUID();
    this.messages.push({ messageId, topicArn, ...(subject !== undefined ? { subject } : {}), message, attributes, publishedAt: new Date().toISOString() });
    sendXml(response, requestId, 'Publish', `<MessageId>${messageId}</MessageId>`);
  }
}

function sendXml(response: ServerResponse, requestId: string, action: string, result: string): void {
  const body = `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  response.writeHead(200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function sendError(response: ServerResponse, requestId: string, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body = `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  response.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
