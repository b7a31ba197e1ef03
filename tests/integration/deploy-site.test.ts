import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deploySite, listSiteFiles, readSiteStackOutputs } from '../../deploy/deploy-site';
import { createS3Client } from '../../functions/adapters/aws-clients';
import { startS3Emulator, type S3Emulator } from '../../local/emulators/s3-emulator';
import { repoRoot } from '../helpers/packaged-template';

const BUCKET = 'waferwatch-prod-sitebucket-test';
const STACK = 'waferwatch-prod';
const OUTPUTS = [
  { OutputKey: 'SiteBucketName', OutputValue: BUCKET },
  { OutputKey: 'SiteUrl', OutputValue: 'https://d111111abcdef8.cloudfront.net' },
  { OutputKey: 'ApiUrl', OutputValue: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' },
  { OutputKey: 'AuthIssuer', OutputValue: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123' },
  { OutputKey: 'UserPoolClientId', OutputValue: '1example23456789abcdefghij' },
  { OutputKey: 'UserPoolDomain', OutputValue: 'https://waferwatch-prod-123456789012.auth.eu-west-1.amazoncognito.com' },
  // Outputs deploy:site has no use for: nothing of them may reach the page.
  { OutputKey: 'CameraKeyTableName', OutputValue: 'waferwatch-prod-CameraKeyTable-ABC' },
  { OutputKey: 'RestApiId', OutputValue: 'abc123' },
];
const EXPECTED_CONFIG = {
  apiBaseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  auth: {
    authority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
    clientId: '1example23456789abcdefghij',
    signOutUrl: 'https://waferwatch-prod-123456789012.auth.eu-west-1.amazoncognito.com/logout',
    scope: 'openid email profile',
  },
};

describe('npm run deploy:site', () => {
  let s3Emulator: S3Emulator;
  let s3: S3Client;
  const cloudFormation = mockClient(CloudFormationClient);

  beforeAll(async () => {
    s3Emulator = await startS3Emulator({ buckets: [BUCKET] });
    s3 = createS3Client({ region: 'eu-west-1', endpoint: s3Emulator.endpoint });
  });

  afterAll(async () => {
    s3?.destroy();
    await s3Emulator?.close();
  });

  beforeEach(() => {
    cloudFormation.reset();
    cloudFormation
      .on(DescribeStacksCommand, { StackName: STACK })
      .resolves({ Stacks: [{ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: OUTPUTS }] });
  });

  const text = async (key: string) => (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ?? '';

  it('uploads every page file with its content type and no-cache, and writes config.json (API URL and sign-in, no key) from the outputs', async () => {
    // Prepare
    const expected = await listSiteFiles(path.join(repoRoot, 'static-site'));

    // Act
    const result = await deploySite({ cloudFormation, s3, stackName: STACK });

    // Assess
    expect(expected).toEqual(
      expect.arrayContaining([
        'index.html',
        'app.js',
        'api-client.js',
        'upload.js',
        'inspection-card.js',
        'history.js',
        'alert-ladder.js',
        'messages.js',
        'styles.css',
      ]),
    );
    expect(expected.some((file) => file.endsWith('.d.ts') || file === 'tsconfig.json')).toBe(false);
    // Beside the page's own files: the sign-in library it loads from its own origin, the same file the local stack serves.
    expect(result.uploaded.sort()).toEqual([...expected, 'vendor/oidc-client-ts.min.js', 'vendor/uPlot.iife.min.js', 'config.json'].sort());
    const vendor = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'vendor/oidc-client-ts.min.js' }));
    expect(vendor.ContentType).toBe('text/javascript; charset=utf-8');
    expect(await text('vendor/oidc-client-ts.min.js')).toContain('UserManager');
    expect(result.siteUrl).toBe('https://d111111abcdef8.cloudfront.net');
    const config = await text('config.json');
    expect(JSON.parse(config)).toEqual(EXPECTED_CONFIG);
    // No key of any kind: the page signs people in and carries nothing shared.
    expect(config).not.toMatch(/apiKey|x-api-key|secret|password|CameraKeyTable/i);
    const html = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'index.html' }));
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(html.CacheControl).toBe('no-cache');
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'app.js' }))).ContentType).toBe('text/javascript; charset=utf-8');
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'config.json' }))).CacheControl).toBe('no-store');
  });

  it('uploads none of the simulated phones: the page only names the module the local stack serves, behind local: true', async () => {
    // Prepare: the local stack's page additions, which must stay on the developer's machine
    const phoneRoot = path.join(repoRoot, 'local', 'phone', 'page');
    const phoneFiles = await readdir(phoneRoot);
    const phoneSources = await Promise.all(phoneFiles.map((file) => readFile(path.join(phoneRoot, file), 'utf8')));

    // Act
    const result = await deploySite({ cloudFormation, s3, stackName: STACK });
    const uploaded = await Promise.all(result.uploaded.map(async (key) => ({ key, text: await text(key) })));
    const localReferences = uploaded.flatMap(({ key, text }) => [...text.matchAll(/\/_local\/[\w./-]*/g)].map(([reference]) => `${key}: ${reference}`));

    // Assess
    expect(phoneFiles).toEqual(expect.arrayContaining(['phone-panel.js', 'phone-panel.css', 'call-messages.js']));
    expect(result.uploaded.filter((key) => phoneFiles.includes(path.posix.basename(key)))).toEqual([]);
    for (const { key, text } of uploaded) {
      expect(phoneSources, key).not.toContain(text);
      // The phone simulator's endpoints, its markup and its words.
      expect(text, key).not.toMatch(/\/_local\/(calls|phone\/)|phone-device|call-panel|Operator phones|Hang up|describeCallEnd|callLabel/);
    }
    expect(localReferences).toEqual(['app.js: /_local/page/phone-panel.js']);
    expect(await text('app.js')).toMatch(/if \(config\.local\) \{[\s\S]*import\(LOCAL_PANEL_URL\)/);
  });

  it('removes objects the page no longer has, and never uploads dotfiles or a local config.json', async () => {
    // Prepare
    const siteRoot = await mkdtemp(path.join(tmpdir(), 'waferwatch-site-'));
    await mkdir(path.join(siteRoot, 'img'));
    await writeFile(path.join(siteRoot, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(path.join(siteRoot, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(siteRoot, '.env'), 'SECRET=1');
    await writeFile(path.join(siteRoot, 'config.json'), '{"apiKey":"from-a-laptop"}');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'old-page.js', Body: 'stale' }));

    try {
      // Act
      const result = await deploySite({ cloudFormation, s3, stackName: STACK, siteRoot, vendorFiles: {} });
      const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((object) => object.Key).sort();

      // Assess
      expect(keys).toEqual(['config.json', 'img/logo.svg', 'index.html']);
      expect(result.deleted).toEqual(expect.arrayContaining(['old-page.js', 'app.js']));
      expect(JSON.parse(await text('config.json'))).toEqual(EXPECTED_CONFIG);
      expect(await readdir(siteRoot)).toContain('.env');
    } finally {
      await rm(siteRoot, { recursive: true, force: true });
    }
  });

  it('names the missing output when the stack predates sign-in', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: OUTPUTS.filter((output) => output.OutputKey !== 'UserPoolClientId'),
        },
      ],
    });

    // Act
    const deploying = deploySite({ cloudFormation, s3, stackName: STACK });

    // Assess
    await expect(deploying).rejects.toThrow(/no UserPoolClientId output/);
  });

  it("gives the page the API's custom domain when the stack has one", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [...OUTPUTS, { OutputKey: 'ApiCustomDomainUrl', OutputValue: 'https://api.fab.example/' }],
        },
      ],
    });

    // Act
    const outputs = await readSiteStackOutputs(cloudFormation, STACK);
    await deploySite({ cloudFormation, s3, stackName: STACK });

    // Assess
    expect(outputs.apiUrl).toBe('https://api.fab.example/');
    expect(JSON.parse(await text('config.json'))).toEqual({ ...EXPECTED_CONFIG, apiBaseUrl: 'https://api.fab.example' });
  });
});
