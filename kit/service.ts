/**
 * Runs one service as its own process: starts it, logs where it listens, and stops it cleanly (requests in flight
 * finish, new ones refused, stores closed) on SIGINT/SIGTERM or when its supervisor goes away.
 */
import { ConfigError } from './config.js';
import type { Logger } from './log.js';
import { loggableError } from './format-error.js';

export interface StoppableService {
  url: string;
  close(): Promise<void>;
}

/** `tracing`: the process's tracer (kit/tracing.ts), flushed and stopped after the service. */
export async function runService(
  logger: Logger,
  start: () => Promise<StoppableService>,
  tracing?: { shutdown(): Promise<void> } | null,
): Promise<void> {
  let service: StoppableService;
  try {
    service = await start();
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal(`configuration: ${error.message}`);
    else logger.fatal({ err: loggableError(error) }, 'could not start');
    process.exit(1);
  }
  logger.info({ url: service.url }, 'listening');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await service.close();
    await tracing?.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by a supervisor with an IPC channel (scripts/processes.ts): when the supervisor is gone, however it
  // went, the channel closes and the service stops rather than run on as an orphan nobody will stop.
  if (process.send) process.once('disconnect', () => void stop('supervisor gone'));
}
