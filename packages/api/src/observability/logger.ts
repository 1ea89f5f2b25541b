import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one object a line. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'purser', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
