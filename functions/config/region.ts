import * as z from 'zod';
import { configFragment } from './environment';

/** The AWS region every client of a function talks to (Lambda sets AWS_REGION). */
export const regionConfig = configFragment({
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
