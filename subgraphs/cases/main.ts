import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startTracing } from '../../kit/tracing.js';
import { startCasesService } from './service.js';

// First, so that the stores and servers made afterwards are traced (when a collector is named).
const tracing = startTracing('cases');
const logger = createLogger('cases');
void runService(logger, () => startCasesService(loadConfig(process.env, 'cases'), logger), tracing);
