import * as z from 'zod';

/** Thrown at cold start when the environment is incomplete or malformed; names every bad variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * One concern's environment variables (the region, the image bucket, the alert queue, Connect…): the zod schema of
 * each, and the rules that span several of them. A function's wiring lists the fragments it uses and parses only
 * those, so it neither needs nor reads the others' variables (the read-only API functions need no phone numbers).
 */
export interface ConfigFragment<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly shape: Shape;
  /** Rules across the fragment's variables, run once they parsed; throws ConfigurationError naming the variable. */
  check?(values: z.output<z.ZodObject<Shape>>): void;
}

/** The parsed values of one fragment. */
export type ConfigOf<Fragment> = Fragment extends ConfigFragment<infer Shape> ? z.output<z.ZodObject<Shape>> : never;

/** The parsed values of a list of fragments: every fragment's, together. */
export type ConfigOfAll<Fragments extends readonly ConfigFragment[]> = Fragments extends readonly [infer Head, ...infer Tail extends readonly ConfigFragment[]]
  ? ConfigOf<Head> & ConfigOfAll<Tail>
  : unknown;

/** A fragment from its variables' schemas and, optionally, the rules between them. */
export function configFragment<Shape extends z.ZodRawShape>(shape: Shape, check?: (values: z.output<z.ZodObject<Shape>>) => void): ConfigFragment<Shape> {
  return check ? { shape, check } : { shape };
}

/**
 * Parse and check the environment for the given fragments, once, at cold start. Throws ConfigurationError naming each
 * missing or malformed variable, so a misconfigured function fails before its first wafer; variables no fragment
 * names are not read at all.
 */
export function parseEnvironment<const Fragments extends readonly ConfigFragment[]>(
  fragments: Fragments,
  env: Record<string, string | undefined> = process.env,
): ConfigOfAll<Fragments> {
  const schema = z.object(Object.assign({}, ...fragments.map((fragment) => fragment.shape)) as z.ZodRawShape);
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  for (const fragment of fragments) fragment.check?.(result.data);
  return result.data as ConfigOfAll<Fragments>;
}

/** The variable names a list of fragments reads (the keys of their schemas). */
export function variablesOf(fragments: readonly ConfigFragment[]): string[] {
  return [...new Set(fragments.flatMap((fragment) => Object.keys(fragment.shape)))];
}

/** A required variable, named in the message when it is missing. */
export const requiredText = (name: string, minLength = 1) => z.string({ error: `${name} environment variable is not set` }).min(minLength);

/** A local or test override of a service endpoint (the emulators); unset in AWS. */
export const optionalUrl = z.url().optional();

/** A positive whole number with a default. */
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A comma-separated list, blanks dropped. */
export const commaList = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );
