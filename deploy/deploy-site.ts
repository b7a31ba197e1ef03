// `npm run deploy:site -- --stage prod --region eu-west-1`: upload static-site/ to the stack's private site bucket
// and write the page's config.json (the API URL and how to sign in) from the deployed stack. Run it after every
// `sls deploy` that changed the page, the API's address or the user pool. Uses the deployer's usual AWS credentials
// (profile, SSO, env). config.json carries no key or secret: people sign in (Cognito managed login, authorization code
// with PKCE), and the page sends their ID token.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readStackOutputs, stackNameOf } from './stack-outputs';
import { PAGE_VENDOR_FILES } from '../local/page-vendor-files';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readStaticFile } from '../local/static-files';

/** The stack outputs the page needs (resources/outputs.yml). */
export interface SiteStackOutputs {
  siteBucketName: string;
  siteUrl: string;
  /** The API's base URL: its custom domain when the stack has one (ApiCustomDomainUrl), else API Gateway's (ApiUrl). */
  apiUrl: string;
  /** The ID tokens' issuer (AuthIssuer): the OIDC authority the page signs in with. */
  authIssuer: string;
  /** The page's public app client (UserPoolClientId). */
  userPoolClientId: string;
  /** Managed login's base URL (UserPoolDomain). */
  userPoolDomain: string;
}

/** How the page signs people in: an OIDC authority and public client, Cognito's sign-out endpoint and the scopes. */
export interface PageAuthConfig {
  authority: string;
  clientId: string;
  signOutUrl: string;
  scope: string;
}

/** The page's config.json as deployed: the API's base URL and how to sign in. No key, no secret. */
export interface DeployedPageConfig {
  apiBaseUrl: string;
  auth: PageAuthConfig;
}

/** The scopes the app client allows (resources/identity.yml UserPoolClient AllowedOAuthScopes). */
export const PAGE_SCOPE = 'openid email profile';

export interface DeploySiteOptions {
  cloudFormation: Pick<CloudFormationClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  stackName: string;
  /** The folder to upload; default static-site/ of this repository. */
  siteRoot?: string;
  /** Files the page loads from node_modules (oidc-client-ts), by page path; default local/page-vendor-files.ts's. */
  vendorFiles?: Readonly<Record<string, string>>;
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
  const outputs = await readStackOutputs(cloudFormation, stackName);
  const required = (key: string): string => {
    const value = outputs.get(key);
    if (!value) throw new Error(`Stack ${stackName} has no ${key} output; deploy the stack (npm run deploy) first.`);
    return value;
  };
  return {
    siteBucketName: required('SiteBucketName'),
    siteUrl: required('SiteUrl'),
    apiUrl: outputs.get('ApiCustomDomainUrl') || required('ApiUrl'),
    authIssuer: required('AuthIssuer'),
    userPoolClientId: required('UserPoolClientId'),
    userPoolDomain: required('UserPoolDomain'),
  };
}

/** config.json from the outputs: Cognito's sign-out endpoint is managed login's /logout (it is not in the discovery document). */
export function pageConfig(outputs: SiteStackOutputs): DeployedPageConfig {
  const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');
  return {
    apiBaseUrl: withoutTrailingSlash(outputs.apiUrl),
    auth: {
      authority: withoutTrailingSlash(outputs.authIssuer),
      clientId: outputs.userPoolClientId,
      signOutUrl: `${withoutTrailingSlash(outputs.userPoolDomain)}/logout`,
      scope: PAGE_SCOPE,
    },
  };
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
 * `Cache-Control: no-cache` (config.json: no-store), so CloudFront revalidates and a new page or config is live at once.
 */
export async function deploySite(options: DeploySiteOptions): Promise<{ siteUrl: string; uploaded: string[]; deleted: string[] }> {
  const log = options.log ?? (() => {});
  const siteRoot = options.siteRoot ?? path.join(REPO_ROOT, 'static-site');
  const outputs = await readSiteStackOutputs(options.cloudFormation, options.stackName);
  const config = pageConfig(outputs);

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
  // The libraries the page loads from its own origin (its CSP allows no other): the same files the local stack serves.
  for (const [key, file] of Object.entries(options.vendorFiles ?? PAGE_VENDOR_FILES)) {
    await options.s3.send(
      new PutObjectCommand({
        Bucket: outputs.siteBucketName,
        Key: key,
        Body: await readFile(file),
        ContentType: 'text/javascript; charset=utf-8',
        CacheControl: 'no-cache',
      }),
    );
    uploaded.push(key);
    log(`uploaded ${key}`);
  }
  await options.s3.send(
    new PutObjectCommand({
      Bucket: outputs.siteBucketName,
      Key: 'config.json',
      Body: JSON.stringify(config),
      ContentType: 'application/json; charset=utf-8',
      CacheControl: 'no-store',
    }),
  );
  uploaded.push('config.json');
  log('wrote config.json (API URL and sign-in)');

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
  const stackName = argument('stack') ?? stackNameOf(stage);
  const result = await deploySite({
    cloudFormation: new CloudFormationClient({ region }),
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
