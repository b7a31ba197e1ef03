/**
 * Cold start of the bundled inspect function: how long a fresh Node process takes to import the bundle (Lambda's
 * init phase), to have its model loaded, to answer its first POST /inspections, and what a station switching to a
 * model not yet loaded costs its first request.
 *
 * The bundle is built from serverless.yml's custom.esbuild settings (the same esbuild options serverless-esbuild uses
 * for `npm run package`), or taken from a packaged zip with --zip (e.g. .serverless/inspectImage.zip). It is laid out as
 * Lambda unpacks it (the bundle and models/wafer-default.wwm in one folder, the working directory), with this
 * machine's node_modules beside it for sharp (the zip's are linux-arm64). Each run is a new process with the
 * environment of a local stack started here (S3, DynamoDB, SQS stand-ins; a station registry with `default`, judged by
 * the bundled model, and `switch`, which names a model of its own that no request has loaded yet).
 *
 *   npm run bench:cold-start -- [--runs 7] [--zip .serverless/inspectImage.zip] [--image <jpeg>] [--cpu-prof <dir>]
 *
 * --cpu-prof writes each timed process's V8 CPU profile (.cpuprofile, for Chrome DevTools or speedscope) into <dir>.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Plugin } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { percentile } from './load-benchmark';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HANDLER_ENTRY = 'functions/handlers/inspect-image';
const MODEL_ENTRY = 'models/wafer-default.wwm';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    zip: { type: 'string' },
    image: { type: 'string', default: 'samples/wafer-photos/good/120_wafer.jpg' },
    'cpu-prof': { type: 'string' },
  },
});

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Build the inspect bundle with serverless.yml's custom.esbuild options into `dir`, as serverless-esbuild does. */
async function buildBundle(dir: string): Promise<void> {
  const document = parseYaml(await readFile(path.join(PROJECT_ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    custom: { esbuild: Record<string, unknown> };
  };
  const { bundle, format, outputFileExtension, platform, target, mainFields, minify, keepNames, sourcemap, banner, external, treeShaking, plugins, splitting } =
    document.custom.esbuild;
  const esbuild = await import('esbuild');
  // serverless-esbuild loads custom.esbuild.plugins (a path from the project root) with require.
  const pluginList = typeof plugins === 'string' ? (createRequire(import.meta.url)(path.join(PROJECT_ROOT, plugins)) as Plugin[]) : [];
  await esbuild.build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: { [HANDLER_ENTRY]: path.join(PROJECT_ROOT, `${HANDLER_ENTRY}.ts`) },
    outdir: dir,
    outExtension: { '.js': typeof outputFileExtension === 'string' ? outputFileExtension : '.js' },
    bundle: bundle as boolean,
    format: format as 'esm',
    platform: platform as 'node',
    target: target as string,
    mainFields: mainFields as string[],
    minify: minify as boolean,
    keepNames: keepNames as boolean,
    sourcemap: sourcemap as boolean,
    banner: banner as Record<string, string>,
    external: external as string[],
    ...(treeShaking !== undefined ? { treeShaking: treeShaking as boolean } : {}),
    plugins: pluginList,
    ...(splitting !== undefined ? { splitting: splitting as boolean } : {}),
    logLevel: 'error',
  });
}

/** The bundle (with its chunks) and the model of a packaged zip, extracted into `dir`. */
async function extractZip(zip: string, dir: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile('unzip', ['-q', '-o', zip, `${HANDLER_ENTRY}.mjs`, `${HANDLER_ENTRY}.chunks/*`, MODEL_ENTRY, '-d', dir], (error) =>
      error ? reject(new Error(`unzip ${zip}: ${error.message}`)) : resolve(),
    ),
  );
}

/** What one fresh process measures (ms, from just before the bundle's import). */
interface ProbeResult {
  importMs: number;
  /** CPU time of the process (user + system, all threads) when the import was done: less swayed by a loaded machine. */
  importCpuMs: number;
  modelReadyMs: number | null;
  modelReadyCpuMs: number | null;
  firstRequestMs: number;
  firstAnsweredAtMs: number;
  warmRequestMs: number;
  switchRequestMs: number;
  warmSwitchRequestMs: number;
  statuses: number[];
  processStartToImportMs: number;
}

/**
 * Runs in the fresh process: import the bundle, note when the detector's load is logged, then POST the image (each time
 * with other bytes, so none is a duplicate) for station default (first, warm) and station switch (first, warm).
 */
const PROBE = `
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const started = performance.now();
let modelReadyMs = null;
let modelReadyCpuMs = null;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (modelReadyMs === null && String(chunk).includes('The anomaly detector is loaded')) {
    modelReadyMs = performance.now() - started;
    modelReadyCpuMs = cpuMs();
  }
  return true;
};
const { handler } = await import('./${HANDLER_ENTRY}.mjs');
const importMs = performance.now() - started;
const importCpuMs = cpuMs();
const jpeg = readFileSync(process.env.PROBE_IMAGE);
let n = 0;
const withComment = (bytes) => {
  const text = Buffer.from('probe-' + process.pid + '-' + n++, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([bytes.subarray(0, 2), header, text, bytes.subarray(2)]);
};
const statuses = [];
async function post(station) {
  const event = {
    httpMethod: 'POST', path: '/inspections', resource: '/inspections',
    headers: { 'Content-Type': 'image/jpeg', 'X-Station-Id': station }, multiValueHeaders: { 'Content-Type': ['image/jpeg'], 'X-Station-Id': [station] },
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: { requestId: 'cold-start', httpMethod: 'POST', path: '/inspections', resourcePath: '/inspections',
      authorizer: { principalId: 'person:bench', callerKind: 'person', subject: 'bench', name: 'bench', groups: 'operator,engineer,admin' } },
    body: withComment(jpeg).toString('base64'), isBase64Encoded: true,
  };
  const context = { awsRequestId: 'cold-start-' + n, functionName: 'waferwatch-dev-inspectImage', getRemainingTimeInMillis: () => 29000 };
  const t = performance.now();
  const response = await handler(event, context, () => {});
  statuses.push(response.statusCode);
  if (response.statusCode !== 201) write('BODY ' + response.body + '\\n');
  return performance.now() - t;
}
const firstRequestMs = await post('default');
const firstAnsweredAtMs = performance.now() - started;
const warm = [await post('default'), await post('default'), await post('default')].sort((a, b) => a - b)[1];
const switchRequestMs = await post('switch');
const warmSwitch = [await post('switch'), await post('switch'), await post('switch')].sort((a, b) => a - b)[1];
write('RESULT ' + JSON.stringify({ importMs, importCpuMs, modelReadyMs, modelReadyCpuMs, firstRequestMs, firstAnsweredAtMs, warmRequestMs: warm, switchRequestMs, warmSwitchRequestMs: warmSwitch, statuses,
  processStartToImportMs: started }) + '\\n');
process.exit(0);
`;

function runProbe(dir: string, env: Record<string, string>, profileDir?: string): Promise<ProbeResult> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...profile, 'probe.mjs'], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (error || !line) reject(new Error(`The probe failed: ${error?.message ?? ''}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as ProbeResult);
    });
  });
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'waferwatch-cold-start-'));
  const task = path.join(work, 'task');
  const dataDir = path.join(work, 'data');
  await mkdir(path.join(task, 'models'), { recursive: true });
  if (values.zip) await extractZip(path.resolve(values.zip), task);
  else {
    await buildBundle(task);
    await copyFile(path.join(PROJECT_ROOT, MODEL_ENTRY), path.join(task, MODEL_ENTRY));
  }
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(task, 'node_modules'));
  await writeFile(path.join(task, 'probe.mjs'), PROBE);
  const bundleBytes = (await readFile(path.join(task, `${HANDLER_ENTRY}.mjs`))).byteLength;
  // The switching station's model: the same model under another path, so it is loaded (read, parsed, indexed) anew.
  const switchModel = path.join(work, 'switch-model.wwm');
  await copyFile(path.join(PROJECT_ROOT, MODEL_ENTRY), switchModel);
  const stationsFile = path.join(work, 'stations.json');
  const escalation = [{ name: 'Line operator', phone: '+15555550100' }];
  await writeFile(
    stationsFile,
    JSON.stringify({
      stations: [
        { id: 'default', name: 'Default', escalation },
        { id: 'switch', name: 'Switching station', model: switchModel, escalation },
      ],
    }),
  );
  const { startLocalStack } = await import('../local/local-stack');
  const stack = await startLocalStack({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', WAFERWATCH_AUTH: 'off', STATIONS_FILE: stationsFile, DAILY_CALL_CAP: '100000' },
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...stack.env,
    // As in Lambda: the bundled model relative to the working directory (/var/task), logs at INFO.
    EMBEDDED_MODEL_URI: MODEL_ENTRY,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    PROBE_IMAGE: path.resolve(values.image),
  };
  const results: ProbeResult[] = [];
  console.log(
    `inspect bundle ${values.zip ?? '(built from serverless.yml custom.esbuild)'}: ${(bundleBytes / 2 ** 20).toFixed(2)} MB; ${values.runs} fresh processes, Node ${process.version}`,
  );
  const loadBefore = loadAverage();
  try {
    await runProbe(task, env); // one untimed run: the file system cache, as a Lambda host's
    for (let run = 0; run < Number(values.runs); run++) {
      const result = await runProbe(task, env, values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined);
      if (result.statuses.some((status) => status !== 201)) throw new Error(`The probe's requests answered ${result.statuses.join(', ')}`);
      results.push(result);
      console.log(
        `  run ${run + 1}: import ${result.importMs.toFixed(0)} ms, model loaded at ${result.modelReadyMs?.toFixed(0) ?? '?'} ms, first answer at ${result.firstAnsweredAtMs.toFixed(0)} ms (first request ${result.firstRequestMs.toFixed(0)}, warm ${result.warmRequestMs.toFixed(0)}), switching station's first ${result.switchRequestMs.toFixed(0)} ms (warm ${result.warmSwitchRequestMs.toFixed(0)})`,
      );
    }
  } finally {
    await stack.close();
    await rm(work, { recursive: true, force: true });
  }
  const m = (pick: (r: ProbeResult) => number) => median(results.map(pick)).toFixed(0);
  console.log(`medians of ${results.length} runs (load average before ${loadBefore}, after ${loadAverage()}, ${os.cpus().length} cores):`);
  console.log(
    `  import of the bundle (Lambda init)          ${m((r) => r.importMs)} ms   (node's own start before it: ${m((r) => r.processStartToImportMs)} ms)`,
  );
  console.log(`  initialisation with the model               ${m((r) => Math.max(r.importMs, r.modelReadyMs ?? Number.NaN))} ms   (goal: under 150 ms)`);
  console.log(
    `  CPU time (process, from its start): import ${m((r) => r.importCpuMs)} ms, with the model ${m((r) => Math.max(r.importCpuMs, r.modelReadyCpuMs ?? Number.NaN))} ms`,
  );
  console.log(
    `  first request's answer, from the import    ${m((r) => r.firstAnsweredAtMs)} ms   (first request ${m((r) => r.firstRequestMs)} ms, warm ${m((r) => r.warmRequestMs)} ms)`,
  );
  console.log(
    `  station switching to a model not yet loaded ${m((r) => r.switchRequestMs)} ms (warm ${m((r) => r.warmSwitchRequestMs)} ms: +${m((r) => r.switchRequestMs - r.warmSwitchRequestMs)} ms)`,
  );
}

await main();
process.exit(0);
