import { vi } from 'vitest';

/** One JSON line a function wrote: a Powertools log line or an EMF blob. */
export type OutputLine = Record<string, any>;

/** Everything written to stdout/stderr while `run` runs, as parsed JSON lines (log lines and EMF blobs alike). */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; lines: OutputLine[] }> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    const result = await run();
    return {
      result,
      lines: chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as OutputLine),
    };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** True for an EMF blob (CloudWatch embedded metric format), false for a log line. */
export const isEmf = (line: OutputLine): boolean => line._aws !== undefined;

/** The metrics of one EMF blob, name -> value. */
export function metricsOf(emf: OutputLine): Record<string, unknown> {
  const names = (emf._aws.CloudWatchMetrics[0].Metrics as Array<{ Name: string }>).map((metric) => metric.Name);
  return Object.fromEntries(names.map((name) => [name, emf[name]]));
}
