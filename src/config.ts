import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

/**
 * Every setting the service reads from its environment. This is the only module that looks at
 * `process.env`; everything else receives a validated `Config`.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 32 })),
  RUBRICS_DIR: Type.String({ default: './rubrics' }),
  LOAD_RUBRICS_ON_START: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union([
    Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')
  ], { default: 'info' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 262_144 }),
  PUBLIC_BASE_URL: Type.String({ default: 'http://localhost:3000' }),
  /** Ed25519 private key that signs certificate credentials: PKCS#8 PEM or a JWK (JSON with d and x). Unset: one is kept in DATA_DIR. */
  CREDENTIAL_SIGNING_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** The organization named as the issuer on certificates and in their credentials. */
  ISSUER_NAME: Type.String({ default: 'Rapport Certificate Programme', minLength: 1 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  /** PDF render worker threads at most; 0 = as many as cores, up to 2. */
  RENDER_WORKERS: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** A render worker idle this long exits; the next report starts one again. */
  RENDER_IDLE_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 })
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {}

/** Parses and validates an environment; unknown variables are ignored. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const raw = env[key]
    if (raw !== undefined && raw !== '') picked[key] = raw
  }
  const withDefaults = Value.Default(ConfigSchema, picked)
  const converted = Value.Convert(ConfigSchema, withDefaults)
  const errors = [...Value.Errors(ConfigSchema, converted)]
  if (errors.length > 0) {
    // One line per variable; a choice of literals (LOG_LEVEL) names the choices instead of one error per branch.
    const byKey = new Map<string, string>()
    for (const e of errors) {
      const key = e.instancePath.replace(/^\//, '') || '(root)'
      const choices = (ConfigSchema.properties as Record<string, { anyOf?: Array<{ const?: unknown }> }>)[key]?.anyOf?.map((branch) => branch.const)
      if (!byKey.has(key)) byKey.set(key, choices ? `must be one of ${choices.join(', ')}` : e.message)
    }
    const lines = [...byKey].map(([key, message]) => `${key}: ${message}`)
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  const config = converted as Config
  // Unset, the public address follows the port the service listens on.
  if (env.PUBLIC_BASE_URL === undefined || env.PUBLIC_BASE_URL === '') config.PUBLIC_BASE_URL = `http://localhost:${config.PORT}`
  return config
}
