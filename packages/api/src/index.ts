export { Purser, type PurserOptions } from './app';
export { loadEnv, envSchema, ConfigError, type Env } from './config/env';
export { createDataSource, openDatabase, type DatabaseOptions } from './db/data-source';
export { queryPrepared, type PreparedStatement } from './db/prepared';
export { PurserError, ERROR_CODES, type ErrorCode } from './errors';
export { ROLES, PERMISSIONS, type Role, type Permission } from './auth/roles';
export { hashSecret, type Principal } from './auth/api-key.service';
export { createLogger, type Logger } from './observability/logger';
export { tuneHeapGrowth } from './runtime/heap';
