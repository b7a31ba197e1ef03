import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { beforeAll } from 'vitest';

/** The repository root (this file sits in tests/helpers/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `npm run package` (osls + serverless-esbuild) writes the template and one zip per function. */
export const artifactsDir = path.join(repoRoot, '.serverless');

const templatePath = path.join(artifactsDir, 'cloudformation-template-update-stack.json');
const inputsStampPath = path.join(artifactsDir, '.package-inputs.sha256');
// Outside the work tree, so nothing needs ignoring; keyed by the checkout so two clones do not wait on each other.
const lockPath = path.join(tmpdir(), `waferwatch-package-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}.lock`);

/** Everything whose change changes the package: when none changed, the artifacts on disk are reused. */
const PACKAGE_INPUTS = ['serverless.yml', 'esbuild-plugins.cjs', 'resources', 'package.json', 'package-lock.json', 'functions', 'models', 'contact-flows'];

export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
}

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CloudFormationResource>;
  Outputs?: Record<string, unknown>;
}

export interface PackagedService {
  template: CloudFormationTemplate;
  /** Wall time of `npm run package` in this test run, or undefined when unchanged artifacts were reused. */
  packageMs: number | undefined;
}

let packaging: Promise<PackagedService> | undefined;

/**
 * Package the service once per test run and return the CloudFormation template.
 * Vitest runs test files in several worker processes: a lock file serialises them, and a hash of the
 * package's inputs stored beside the artifacts lets later template tests reuse the first one's package.
 */
export function packagedService(): Promise<PackagedService> {
  packaging ??= packageOnce();
  return packaging;
}

/** Time for the hook of usePackagedTemplate: as long as acquireLock may wait on another test file's packaging. */
const PACKAGE_HOOK_TIMEOUT_MS = 600_000;

/**
 * Package the service (see packagedService) in a `beforeAll` of the test file or `describe` block this is called in,
 * and return the template's accessor: `const template = usePackagedTemplate();`, then `template()` in tests and hooks.
 * Reading it before that hook ran (while the file's tests are collected) throws, rather than yielding undefined.
 * `onPackaged` runs in the same hook, for what else a file needs of the package (e.g. its `packageMs`).
 */
export function usePackagedTemplate(onPackaged?: (service: PackagedService) => void): () => CloudFormationTemplate {
  let service: PackagedService | undefined;
  beforeAll(async () => {
    service = await packagedService();
    onPackaged?.(service);
  }, PACKAGE_HOOK_TIMEOUT_MS);
  return () => {
    if (!service) throw new Error('The packaged template was read before the beforeAll of usePackagedTemplate() ran: read it in a test or a hook');
    return service.template;
  };
}

async function packageOnce(): Promise<PackagedService> {
  const release = await acquireLock();
  try {
    const stamp = await inputsStamp();
    const saved = await readFile(inputsStampPath, 'utf8').catch(() => undefined);
    const reusable =
      saved === stamp &&
      (await stat(templatePath).then(
        () => true,
        () => false,
      ));
    let packageMs: number | undefined;
    if (!reusable) {
      const started = performance.now();
      await runPackage();
      packageMs = Math.round(performance.now() - started);
      await writeFile(inputsStampPath, stamp);
    }
    const template = JSON.parse(await readFile(templatePath, 'utf8')) as CloudFormationTemplate;
    return { template, packageMs };
  } finally {
    await release();
  }
}

function runPackage(): Promise<void> {
  return new Promise((resolve, reject) => {
    // No AWS credentials may be needed: point the SDK's credential chain at nothing.
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
    execFile('npm', ['run', 'package'], { cwd: repoRoot, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm run package failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

/** What `sls print` made of serverless.yml for one stage, region and set of params: its variables resolved, or why not. */
export type PrintedService = { ok: true; service: Record<string, any> } | { ok: false; error: string };

/**
 * serverless.yml with its variables resolved for a stage, region and `--param`s, as `sls print` shows it: no build and
 * no AWS call, a few seconds. For what a deploy with other params would get (the packaged template is the dev stage's,
 * with the defaults), and for the guards that refuse a configuration before anything is packaged.
 */
export function printedService(options: { stage: string; region?: string; params?: Record<string, string> }): Promise<PrintedService> {
  const args = ['print', '--format', 'json', '--stage', options.stage, '--region', options.region ?? 'eu-west-1'];
  for (const [name, value] of Object.entries(options.params ?? {})) args.push(`--param=${name}=${value}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  return new Promise((resolve) => {
    execFile(
      path.join(repoRoot, 'node_modules', '.bin', 'sls'),
      args,
      { cwd: repoRoot, env, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) resolve({ ok: false, error: `${stdout}\n${stderr}` });
        else resolve({ ok: true, service: JSON.parse(stdout) as Record<string, any> });
      },
    );
  });
}

async function inputsStamp(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(PACKAGE_INPUTS.map((input) => filesUnder(path.join(repoRoot, input))))).flat().sort();
  for (const file of files) {
    hash
      .update(path.relative(repoRoot, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

async function filesUnder(entry: string): Promise<string[]> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [entry];
  const children = await readdir(entry);
  return (await Promise.all(children.map((child) => filesUnder(path.join(entry, child))))).flat();
}

/** A lock file created exclusively, holding the owner's pid; one left by a process that is gone is taken over. */
async function acquireLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      const held = await stat(lockPath).catch(() => undefined);
      // A just-created lock may not hold its pid yet; give its owner a moment before judging.
      const settled = held !== undefined && Date.now() - held.mtimeMs > 2_000;
      if (settled && (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner))) await rm(lockPath, { force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockPath}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One resource by logical id; throws naming it when the template lacks it. */
export function templateResource(template: CloudFormationTemplate, logicalId: string): CloudFormationResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`${logicalId} is not in the template`);
  return found;
}

/** Resources of one CloudFormation type, by logical id. */
export function resourcesOfType(template: CloudFormationTemplate, type: string): Array<[string, CloudFormationResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** A zip file read once: its entries, and any entry's bytes. */
export interface OpenedZip {
  entries: ZipEntry[];
  read(name: string): Buffer;
}

/**
 * Read a zip file once, its entries from its central directory. Enough for the artifacts serverless-esbuild
 * writes (no zip64, no archive comment longer than 64 KiB); anything else is refused rather than misread.
 */
export async function openZip(zipPath: string): Promise<OpenedZip> {
  const zip = await readFile(zipPath);
  const endOfCentralDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfCentralDirectory < 0) throw new Error(`${zipPath} is not a zip file`);
  const count = zip.readUInt16LE(endOfCentralDirectory + 10);
  let offset = zip.readUInt32LE(endOfCentralDirectory + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new Error(`${zipPath} is a zip64 archive, which this reader does not handle`);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${zipPath}: bad central directory entry ${index}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      uncompressedSize: zip.readUInt32LE(offset + 24),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  const read = (name: string): Buffer => {
    const entry = entries.find((candidate) => candidate.name === name);
    if (!entry) throw new Error(`${name} is not in ${zipPath}`);
    const header = entry.localHeaderOffset;
    if (zip.readUInt32LE(header) !== 0x04034b50) throw new Error(`${zipPath}: bad local header for ${name}`);
    const dataStart = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
    const data = zip.subarray(dataStart, dataStart + entry.compressedSize);
    if (entry.method === 0) return Buffer.from(data);
    if (entry.method === 8) return inflateRawSync(data);
    throw new Error(`${name} in ${zipPath} uses unsupported compression method ${entry.method}`);
  };
  return { entries, read };
}

/** The entries of a zip file (see openZip). */
export async function listZipEntries(zipPath: string): Promise<ZipEntry[]> {
  return (await openZip(zipPath)).entries;
}

/** The bytes of one entry of a zip file (see openZip). */
export async function readZipEntry(zipPath: string, name: string): Promise<Buffer> {
  return (await openZip(zipPath)).read(name);
}

/** Extract the named entries of a zip under a directory, keeping their relative paths. */
export async function extractZipEntries(zipPath: string, names: string[], destination: string): Promise<void> {
  await writeEntries(await openZip(zipPath), names, destination);
}

/**
 * Extract Lambda bundles of a zip under a directory as Lambda unpacks them: each entry module (`functions/handlers/x.mjs`)
 * with the chunks it imports, which esbuild-plugins.cjs puts in `functions/handlers/x.chunks/`.
 */
export async function extractBundles(zipPath: string, entries: string[], destination: string): Promise<void> {
  const zip = await openZip(zipPath);
  const chunks = entries.flatMap((entry) =>
    zip.entries.map((candidate) => candidate.name).filter((name) => name.startsWith(`${entry.replace(/\.mjs$/, '')}.chunks/`)),
  );
  await writeEntries(zip, [...entries, ...chunks], destination);
}

async function writeEntries(zip: OpenedZip, names: string[], destination: string): Promise<void> {
  for (const name of names) {
    const target = path.join(destination, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, zip.read(name));
  }
}

/** One IAM or bucket policy statement as the template writes it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Every statement of a policy document, both branches of each Fn::If included (a stage could take either),
 * AWS::NoValue dropped.
 */
export function policyStatements(document: unknown): PolicyStatement[] {
  const statements = (document as { Statement: unknown[] }).Statement;
  const expand = (item: unknown): PolicyStatement[] => {
    const node = item as Record<string, unknown>;
    if (node.Ref === 'AWS::NoValue') return [];
    if (Array.isArray(node['Fn::If'])) {
      const [, whenTrue, whenFalse] = node['Fn::If'] as unknown[];
      return [...expand(whenTrue), ...expand(whenFalse)];
    }
    return [item as PolicyStatement];
  };
  return statements.flatMap(expand);
}

/**
 * A template value as text: a literal, the template string of a Fn::Sub (its own variables, in the list form, left as
 * `${Name}`), a Fn::Join with `${Ref}`s, or `GetAtt:<id>.<attr>`.
 */
export function templateText(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (typeof node['Fn::Sub'] === 'string') return node['Fn::Sub'];
  if (Array.isArray(node['Fn::Sub']) && typeof node['Fn::Sub'][0] === 'string') return node['Fn::Sub'][0];
  if (typeof node.Ref === 'string') return `\${${node.Ref}}`;
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(templateText).join(separator);
  }
  if (Array.isArray(node['Fn::GetAtt'])) return `GetAtt:${(node['Fn::GetAtt'] as string[]).join('.')}`;
  return JSON.stringify(value);
}

/** One Allow statement of a role's inline policies, as text: what the template tests compare exactly. */
export interface RoleGrant {
  sid: string | undefined;
  actions: string[];
  resources: string[];
  condition: PolicyStatement['Condition'];
}

/**
 * Every statement of a role's inline policies (both branches of each Fn::If), with its resources as template text.
 * Throws when a statement is not an Allow: the roles only grant; what is denied is denied by resource policies.
 */
export function roleGrants(template: CloudFormationTemplate, roleId: string): RoleGrant[] {
  const policies = (templateResource(template, roleId).Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
  return policies
    .flatMap((policy) => policyStatements(policy.PolicyDocument))
    .map((statement) => {
      if (statement.Effect !== 'Allow') throw new Error(`${roleId} ${statement.Sid ?? ''} is not an Allow statement`);
      return {
        sid: statement.Sid,
        actions: [statement.Action].flat(),
        resources: [statement.Resource].flat().map(templateText),
        condition: statement.Condition,
      };
    });
}

/**
 * The template's meaning, without what changes from one `npm run package` to the next although the stack does not:
 * - each function's code hash: `AWS::Lambda::Version` logical ids (`<Name>LambdaVersion<hash>`) become
 *   `<Name>LambdaVersion<code-hash>` wherever they are named, and their `CodeSha256` becomes `<code-hash>`;
 * - the artifacts' upload folder (`serverless/<service>/<stage>/<epoch ms>-<ISO time>/x.zip`) and the API
 *   deployment's logical id (`ApiGatewayDeployment<epoch ms>`), both stamped with the packaging time;
 * - the order of `DependsOn` lists (CloudFormation reads them as sets) and of every object's keys (JSON objects are
 *   unordered; sorted here so a saved copy diffs line by line).
 * Everything else, the order of every other list included, is kept.
 */
export function normalisedTemplate(template: CloudFormationTemplate): CloudFormationTemplate {
  const text = JSON.stringify(template)
    .replace(/\b([A-Z][A-Za-z0-9]*LambdaVersion)[A-Za-z0-9]{20,}\b/g, '$1<code-hash>')
    .replace(/\bApiGatewayDeployment\d{10,}\b/g, 'ApiGatewayDeployment<build>')
    .replace(/(serverless\/[^/"]+\/[^/"]+\/)\d{10,}-[0-9TZ:.-]+\//g, '$1<build>/');
  const copy = JSON.parse(text) as CloudFormationTemplate;
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type === 'AWS::Lambda::Version' && resource.Properties && 'CodeSha256' in resource.Properties) resource.Properties.CodeSha256 = '<code-hash>';
    if (Array.isArray(resource.DependsOn)) resource.DependsOn = [...resource.DependsOn].sort();
  }
  return sortedKeys(copy) as CloudFormationTemplate;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}
