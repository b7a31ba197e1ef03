/**
 * `npm run deploy -- --stage prod --region eu-west-1 --param=…`: `sls deploy` (osls with serverless-esbuild, which packages
 * again for the stage); the arguments are passed on as they are. Its temp folder is removed afterwards
 * (serverless-cli.ts says why).
 */
import { runServerless } from './serverless-cli';

process.exitCode = await runServerless(['deploy', ...process.argv.slice(2)]);
