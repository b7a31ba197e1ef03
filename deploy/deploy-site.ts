// `npm run deploy:site -- --stage prod --region eu-west-1`: upload static-site/ to the stack's private site bucket
// and write the page's config.json (API URL and key) from the deployed stack. Run it after every `sls deploy`
// that changed the page or rotated the API key. Uses the deployer's usual AWS credentials (profile, SSO, env).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readStaticFile } from '../local/static-files';

/** The stack outputs the page needs (serverless.yml, Outputs). */
export interface SiteStackOutputs {
  siteBucketName: string;
  siteUrl: string;
  apiUrl: string;
  apiKeyId: string;
}

/** The page's config.json as deployed: the API's base URL and the key every API method requires. */
export interface DeployedPageConfig {
  apiBaseUrl: string;
  apiKey: string;
  local: false;
}

export interface DeploySiteOptions {
  cloudFormation: Pick<CloudFormationClient, 'send'>;
  apiGateway: Pick<APIGatewayClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  stackName: string;
  /** The folder to upload; default static-site/ of this repository. */
  siteRoot?: string;
  log?: (line: string) => void;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Type declarations and the type checker's tsconfig.json sit beside the page's modules (`tsc -p static-site`); the
 * browser never asks for them.
 */
const NOT_SERVED = /\.d\.ts$|^tsconfig\.json$/;

/** Read the outputs deploy:site needs, naming any that is missing (an older stack, or the wrong stack name). */
export async function readSiteStackOutputs(cloudFormation: DeploySiteOptions['cloudFormation'], stackName: string): Promise<SiteStackOutputs> {
  const response = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((response.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const required = (key: string): string => {
    const value = outputs.get(key);
    if (!value) throw new Error(`Stack ${stackName} has no ${key} output; deploy the stack (npx sls deploy) first.`);
    return value;
  };
  return { siteBucketName: required('SiteBucketName'), siteUrl: required('SiteUrl'), apiUrl: required('ApiUrl'), apiKeyId: required('ApiKeyId') };
}

/**
 * The files of the page, as bucket keys relative to the site root (dotfiles, type declarations and tsconfig.json left
 * out). Only the page folder: the local stack's simulated phones (local/phone/page/) are never uploaded.
 */
export async function listSiteFiles(siteRoot: string): Promise<string[]> {
  const entries = await readdir(siteRoot, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(siteRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((key) => !key.split('/').some((part) => part.startsWith('.')) && !NOT_SERVED.test(key) && key !== 'config.json')
    .sort();
}

/**
 * Upload the page and its config.json, then delete objects the page no longer has. Every object is sent with
 * `Cache-Control: no-cache` (config.json: no-store), so CloudFront revalidates and a new page or key is live at once.
 */
export async function deploySite(options: DeploySiteOptions): Promise<{ siteUrl: string; uploaded: string[]; deleted: string[] }> {
  const log = options.log ?? (() => {});
  const siteRoot = options.siteRoot ?? path.join(REPO_ROOT, 'static-site');
  const outputs = await readSiteStackOutputs(options.cloudFormation, options.stackName);
  const key = await options.apiGateway.send(new GetApiKeyCommand({ apiKey: outputs.apiKeyId, includeValue: true }));
  if (!key.value) throw new Error(`API key ${outputs.apiKeyId} has no readable value (missing apigateway:GET on /apikeys/${outputs.apiKeyId}?).`);
  const pageConfig: DeployedPageConfig = { apiBaseUrl: outputs.apiUrl.replace(/\/+$/, ''), apiKey: key.value, local: false };

  const uploaded: string[] = [];
  for (const file of await listSiteFiles(siteRoot)) {
    const content = await readStaticFile(siteRoot, `/${file}`);
    if (!content) throw new Error(`${file} could not be read from ${siteRoot}`);
    await options.s3.send(
      new PutObjectCommand({ Bucket: outputs.siteBucketName, Key: file, Body: content.body, ContentType: content.contentType, CacheControl: 'no-cache' }),
    );
    uploaded.push(file);
    log(`uploaded ${file}`);
  }
  await options.s3.send(
    new PutObjectCommand({
      Bucket: outputs.siteBucketName,
      Key: 'config.json',
      Body: JSON.stringify(pageConfig),
      ContentType: 'application/json; charset=utf-8',
      CacheControl: 'no-store',
    }),
  );
  uploaded.push('config.json');
  log('wrote config.json (API URL and key)');

  const keep = new Set(uploaded);
  const stale: string[] = [];
  let token: string | undefined;
  do {
    const page = await options.s3.send(new ListObjectsV2Command({ Bucket: outputs.siteBucketName, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key && !keep.has(object.Key)) stale.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (let start = 0; start < stale.length; start += 1000) {
    const batch = stale.slice(start, start + 1000);
    await options.s3.send(new DeleteObjectsCommand({ Bucket: outputs.siteBucketName, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
  }
  if (stale.length > 0) log(`deleted ${stale.length} stale object(s)`);
  return { siteUrl: outputs.siteUrl, uploaded, deleted: stale };
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const stage = argument('stage') ?? 'dev';
  const region = argument('region') ?? process.env.AWS_REGION ?? 'eu-west-1';
  const stackName = argument('stack') ?? `waferwatch-${stage}`;
  const result = await deploySite({
    cloudFormation: new CloudFormationClient({ region }),
    apiGateway: new APIGatewayClient({ region }),
    s3: new S3Client({ region }),
    stackName,
    log: (line) => console.log(`[deploy:site] ${line}`),
  });
  console.log(`[deploy:site] ${result.uploaded.length} file(s) in place; the page is at ${result.siteUrl}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error('[deploy:site] failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
