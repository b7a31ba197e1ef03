import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency rule of docs/ARCHITECTURE.md is enforced by `npm run lint` (eslint-plugin-boundaries): this shows
// the rule really fails a core file that reaches for the AWS SDK, sharp or an adapter, and passes it as it is.

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const CORE_FILE = 'functions/core/inspection.ts';

async function boundaryProblems(extraLines: string[]): Promise<string[]> {
  const eslint = new ESLint({ cwd: PROJECT_ROOT });
  const text = [readFileSync(path.join(PROJECT_ROOT, CORE_FILE), 'utf8'), ...extraLines].join('\n');
  const [result] = await eslint.lintText(text, { filePath: path.join(PROJECT_ROOT, CORE_FILE) });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'boundaries/dependencies').map((message) => message.message);
}

describe('import boundaries (npm run lint)', () => {
  it('pass the core as it is', async () => {
    expect(await boundaryProblems([])).toEqual([]);
  }, 60_000);

  it.each([
    ['the AWS SDK', "import { S3Client } from '@aws-sdk/client-s3';", 'export const probe = S3Client;'],
    ['sharp', "import sharp from 'sharp';", 'export const probe = sharp;'],
    ['an adapter', "import { SqsAlertQueue } from '../adapters/sqs/sqs-alert-queue';", 'export const probe = SqsAlertQueue;'],
  ])(
    'fail a core file that imports %s',
    async (_label, importLine, useLine) => {
      expect(await boundaryProblems([importLine, useLine])).not.toEqual([]);
    },
    60_000,
  );
});
