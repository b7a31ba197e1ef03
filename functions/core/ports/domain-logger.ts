/** The few log calls the domain makes; Powertools Logger satisfies it. */
export interface DomainLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}
