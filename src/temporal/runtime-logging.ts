// Sends the Temporal SDK's own log lines (worker state, activity and workflow
// loggers) through pino, so the worker writes one JSON log stream.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Must run before the first NativeConnection or Worker is created in this process. */
export function installTemporalLogging(logger: Logger, level: LogLevel = 'INFO'): void {
  const temporalLogger = logger.child({ component: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      temporalLogger[PINO_LEVEL[entryLevel]]({ ...meta }, message);
    }),
  });
}
