export {
  loadConfig,
  ConfigError,
  eraseParams,
  ERASE_MODES,
  VARIABLES,
  DEFAULT_ERASE_MODE,
  DEFAULT_TIME_SCALE,
  type Config,
  type ConfigProblem,
  type EraseMode,
  type LabMode,
  type LoadConfigOptions,
  type MaasSettings,
} from './config.ts';
export { parseMaasApiKey, parseMaasSystemUrl, type MaasSystemUrl } from './maas-key.ts';
