import * as z from 'zod';
import { configFragment } from './environment';

/**
 * How much memory the stations' own models may hold together in one inspecting function (the least recently used is
 * let go past it, and loaded again on its station's next wafer). The inspect function has 1769 MB; an embedded model
 * holds a few MB, an ONNX model tens to a few hundred.
 */
export const modelCacheConfig = configFragment({
  MODEL_CACHE_MAX_MB: z.coerce.number().int().min(16).max(8192).default(384),
});
