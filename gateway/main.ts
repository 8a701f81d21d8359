import { loadConfig } from '../kit/config.js';
import { createLogger } from '../kit/log.js';
import { runService } from '../kit/service.js';
import { startTracing } from '../kit/tracing.js';
import { startGateway } from './service.js';
import { loadGatewaySettings } from './settings.js';

// First, so that the stores and servers made afterwards are traced (when a collector is named).
const tracing = startTracing('gateway');
const logger = createLogger('gateway');
void runService(
  logger,
  () => startGateway(loadConfig(process.env, 'gateway'), logger, { settings: loadGatewaySettings() }),
  tracing,
);
