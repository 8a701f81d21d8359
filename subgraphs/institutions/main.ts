import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startTracing } from '../../kit/tracing.js';
import { startInstitutionsService } from './service.js';

// First, so that the stores and servers made afterwards are traced (when a collector is named).
const tracing = startTracing('institutions');
const logger = createLogger('institutions');
void runService(logger, () => startInstitutionsService(loadConfig(process.env, 'institutions'), logger), tracing);
