import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runServerless } from '../../../deploy/serverless-cli';

/** A stand-in for osls: leaves a staging folder in its TMPDIR, as serverless-esbuild does, and says what it was given. */
const FAKE_CLI = `
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const staged = path.join(process.env.TMPDIR, 'esbuild-staging', 'inspectImage');
mkdirSync(staged, { recursive: true });
writeFileSync(path.join(staged, 'bundle.zip'), 'zip');
writeFileSync(process.env.FAKE_CLI_REPORT, JSON.stringify({ args: process.argv.slice(2), tmpdir: process.env.TMPDIR, telemetry: process.env.SLS_TELEMETRY_DISABLED }));
process.exit(Number(process.env.FAKE_CLI_EXIT ?? 0));
`;

describe('runServerless (npm run package, npm run deploy)', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'serverless-cli-test-'));
    await writeFile(path.join(work, 'fake-cli.cjs'), FAKE_CLI);
    process.env.FAKE_CLI_REPORT = path.join(work, 'report.json');
  });
  afterEach(async () => {
    delete process.env.FAKE_CLI_REPORT;
    delete process.env.FAKE_CLI_EXIT;
    await rm(work, { recursive: true, force: true });
  });

  it('passes the arguments on and removes the temp folder it gave the framework, with what was staged in it', async () => {
    // Act
    const code = await runServerless(['deploy', '--stage', 'prod', '--param=operatorCountryPrefixes=+44'], path.join(work, 'fake-cli.cjs'));
    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(path.join(work, 'report.json'), 'utf8')) as { args: string[]; tmpdir: string; telemetry: string };
    expect(report.args).toEqual(['deploy', '--stage', 'prod', '--param=operatorCountryPrefixes=+44']);
    expect(report.telemetry).toBe('1');
    expect(path.dirname(report.tmpdir)).toBe(path.resolve(os.tmpdir()));
    expect(path.basename(report.tmpdir)).toMatch(/^waferwatch-serverless-/);
    await expect(stat(report.tmpdir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("answers the framework's exit code, and cleans up after a failure too", async () => {
    // Prepare
    process.env.FAKE_CLI_EXIT = '3';
    // Act
    const code = await runServerless(['package'], path.join(work, 'fake-cli.cjs'));
    // Assess
    expect(code).toBe(3);
    const report = JSON.parse(await readFile(path.join(work, 'report.json'), 'utf8')) as { tmpdir: string };
    await expect(stat(report.tmpdir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
