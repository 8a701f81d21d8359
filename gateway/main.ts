import { loadConfig } from '../kit/config.js';
import { createLogger } from '../kit/log.js';
import { runService } from '../kit/service.js';
import { startGateway } from './service.js';
import { loadGatewaySettings } from './settings.js';

const logger = createLogger('gateway');
void runService(logger, () => startGateway(loadConfig(process.env, 'gateway'), logger, { settings: loadGatewaySettings() }));
