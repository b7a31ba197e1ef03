/**
 * `npm run package`: `sls package` (osls with serverless-esbuild), offline, for the dev stage; extra arguments are passed
 * on. Its temp folder is removed afterwards (serverless-cli.ts says why).
 */
import { runServerless } from './serverless-cli';

process.exitCode = await runServerless(['package', '--stage', 'dev', ...process.argv.slice(2)]);
