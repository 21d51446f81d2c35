import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { isIP } from 'node:net'

/**
 * Every setting the service reads from its environment. This is the only module that looks at
 * `process.env`; everything else receives a validated `Config`.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** The role that owns the schema and runs the migrations; DATABASE_URL's role is then granted rows only. */
  MIGRATION_DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
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
  /** 32 bytes (base64 or hex) that encrypt stored secrets: TOTP secrets, identity providers' client secrets, webhook signing secrets. Unset: one is kept in DATA_DIR. */
  SECRETS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Coordinators, like admins, must set up two-factor sign-in before they reach any page. */
  REQUIRE_TOTP_FOR_COORDINATORS: Type.Boolean({ default: false }),
  /** The organization named as the issuer on certificates and in their credentials. */
  ISSUER_NAME: Type.String({ default: 'Rapport Certificate Programme', minLength: 1 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  /** A request (headers and body) must arrive within this long, else 408 and the connection closes: a client trickling bytes holds nothing for long. */
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  /** PDF render worker threads at most; 0 = as many as cores, up to 2. */
  RENDER_WORKERS: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** A render worker idle this long exits; the next report starts one again. */
  RENDER_IDLE_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  /** Whose X-Forwarded-For to believe: false, true, a hop count, or addresses/CIDRs (comma-separated); see trustProxyOption. */
  TRUST_PROXY: Type.String({ default: 'false', minLength: 1 }),
  /** Requests per minute per API key (per account for the web pages), counted by each instance. */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 3000 }),
  /** Requests per minute per client address for everything anonymous (sign-in, verification, failed keys). */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 300 }),
  /** Opening a new connection to the Postgres server gives up after this long. */
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  /** A request waiting this long for a pooled connection gets a 503 (the pool is saturated or the server unreachable). */
  DB_ACQUIRE_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000 }),
  /** One SQL statement may run this long (Postgres statement_timeout); 0 = no limit. */
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
  /** Largest HR export (CSV or JSON) POST /v1/organizations/{id}/people/imports accepts, apart from BODY_LIMIT_BYTES. */
  IMPORT_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 200 * 1024 * 1024, default: 10 * 1024 * 1024 }),
  /** Requests handled at once at most; beyond it new requests get a fast 503 with Retry-After. 0 = no bound. Unset: IN_FLIGHT_PER_CONNECTION × DB_POOL_MAX. */
  MAX_IN_FLIGHT_REQUESTS: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  /** Event-loop delay (ms) beyond which new requests are shed; 0 = not measured. */
  SHED_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  /** Requests waiting for a pooled database connection beyond which new requests are shed; 0 = no bound. Unset: (IN_FLIGHT_PER_CONNECTION - 1) × DB_POOL_MAX. */
  SHED_POOL_WAITING_MAX: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  /** PDF reports waiting for a render worker at most (per lane); beyond it a report request gets a 503. */
  RENDER_QUEUE_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 16 }),
  /** One PDF may take this long to render; then its worker is stopped and the request gets a 503. */
  RENDER_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  /** Heap limit of each render worker thread (MB); a document that needs more fails alone. */
  RENDER_WORKER_HEAP_MB: Type.Integer({ minimum: 32, maximum: 16_384, default: 512 }),
  /** A POST holding an Idempotency-Key longer than this (a crashed instance's) no longer blocks the key: a retry may execute it again. */
  IDEMPOTENCY_LOCK_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  /** Stored answers to Idempotency-Key POSTs are replayed for this long (at least the draft's 24 hours). */
  IDEMPOTENCY_RETENTION_HOURS: Type.Integer({ minimum: 24, maximum: 720, default: 24 }),
  /** Set, GET /metrics serves Prometheus metrics to callers that send it as a bearer token; unset, /metrics does not exist. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Identity providers may be plain-http issuers. Only for tests against a local provider; never in production. */
  OIDC_ALLOW_INSECURE_ISSUERS: Type.Boolean({ default: false }),
  /** Clock difference allowed when checking an identity provider's ID token (iat, exp). */
  OIDC_CLOCK_TOLERANCE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
  /** SMTP server mail is sent through (smtp:// or smtps://, user and password in the URL). Unset: messages are kept in the database and shown at /admin/mail. */
  SMTP_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** The From of every message. Unset: `Rapport <no-reply@{PUBLIC_BASE_URL's host}>`. */
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3 })),
  /** Webhook endpoints may be plain http and private or loopback addresses. For tests and local development only. */
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  /** Webhook deliveries each instance sends at once at most. */
  WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /** Days the event feed (GET /v1/events) and delivery records are kept; at least 30. */
  EVENTS_RETENTION_DAYS: Type.Integer({ minimum: 30, maximum: 3650, default: 30 }),
  /** How often the relay numbers committed events for the feed (sooner after this instance's own commits). */
  EVENTS_RELAY_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 100 }),
  /** This instance runs the background work: the event relay, webhook and mail delivery, schedules. False for API-only instances. */
  DISPATCHER_ENABLED: Type.Boolean({ default: true }),
  /** The hour of each organization's local day from which its daily jobs (reminders, eligibility as time passes) run. */
  SCHEDULE_LOCAL_HOUR: Type.Integer({ minimum: 0, maximum: 23, default: 6 })

})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {}

/** Parses and validates an environment; unknown variables are ignored. */
/**
 * Requests in flight per pooled database connection when MAX_IN_FLIGHT_REQUESTS is unset: a request
 * holds a connection for part of its life only, so a few per connection keep the pool busy; beyond
 * that they only wait for it (`npm run bench -- overload`: 5 per connection kept the throughput of 50
 * connections at 400, where 6.4 lost a fifth of it). The pool-waiter bound is then reached only when
 * some requests hold no connection (a PDF render) or the in-flight bound is raised.
 */
export const IN_FLIGHT_PER_CONNECTION = 5

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
  if (config.MIGRATION_DATABASE_URL && !config.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  MIGRATION_DATABASE_URL: needs DATABASE_URL (the embedded database has a single role)')
  }
  try {
    trustProxyOption(config.TRUST_PROXY)
  } catch (e) {
    throw new ConfigError(`Invalid configuration:\n  TRUST_PROXY: ${(e as Error).message}`)
  }
  // Unset, the shedding bounds follow the pool: more requests in flight than it serves only queue for it.
  if (env.MAX_IN_FLIGHT_REQUESTS === undefined || env.MAX_IN_FLIGHT_REQUESTS === '') config.MAX_IN_FLIGHT_REQUESTS = IN_FLIGHT_PER_CONNECTION * config.DB_POOL_MAX
  if (env.SHED_POOL_WAITING_MAX === undefined || env.SHED_POOL_WAITING_MAX === '') config.SHED_POOL_WAITING_MAX = (IN_FLIGHT_PER_CONNECTION - 1) * config.DB_POOL_MAX
  // Unset, the public address follows the port the service listens on.
  if (env.PUBLIC_BASE_URL === undefined || env.PUBLIC_BASE_URL === '') config.PUBLIC_BASE_URL = `http://localhost:${config.PORT}`
  return config
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/**
 * TRUST_PROXY as Fastify's `trustProxy`: `false` (the default: the connection's own address is the
 * client's), `true` (believe every X-Forwarded-For hop: only when nothing but the proxy can reach
 * the service), a number of proxy hops, or the proxies' addresses and CIDR ranges, comma-separated
 * (`10.0.0.0/8,127.0.0.1`; `loopback`, `linklocal` and `uniquelocal` name the usual ranges).
 */
export function trustProxyOption(raw: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  const value = raw.trim()
  if (value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops < 1 || hops > 32) throw new Error('a hop count must be between 1 and 32')
    // What Fastify does with a number, which its option types do not list: trust the nearest `hops` hops.
    return (_address: string, hop: number) => hop < hops
  }
  const entries = value.split(',').map((entry) => entry.trim())
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/')
    const version = isIP(address)
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (version === 6 ? 128 : 32))
    if (!PROXY_NAMES.includes(entry) && (version === 0 || !validBits || rest.length > 0)) {
      throw new Error(`must be true, false, a hop count, or addresses and CIDR ranges separated by commas ("${entry}" is none of these)`)
    }
  }
  return entries
}
