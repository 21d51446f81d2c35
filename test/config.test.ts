import t from 'tap'
import { ConfigError, loadConfig, trustProxyOption } from '../src/config.ts'

t.test('defaults, conversion and the derived public address', async (t) => {
  const config = loadConfig({})
  t.equal(config.PORT, 3000)
  t.equal(config.PUBLIC_BASE_URL, 'http://localhost:3000')
  t.equal(loadConfig({ PORT: '3456' }).PUBLIC_BASE_URL, 'http://localhost:3456', 'unset, it follows the port')
  t.equal(loadConfig({ PORT: '3456', PUBLIC_BASE_URL: 'https://rapport.example.org' }).PUBLIC_BASE_URL, 'https://rapport.example.org', 'set, it is kept')
  t.equal(loadConfig({ LOAD_RUBRICS_ON_START: 'false' }).LOAD_RUBRICS_ON_START, false, 'strings are converted to their types')
})

t.test('the shedding bounds follow the pool unless set', async (t) => {
  const config = loadConfig({})
  t.equal(config.DB_POOL_MAX, 20)
  t.equal(config.MAX_IN_FLIGHT_REQUESTS, 100, 'in flight: 5 per pooled connection')
  t.equal(config.SHED_POOL_WAITING_MAX, 80, 'pool waiters: 4 per pooled connection')
  t.same([loadConfig({ DB_POOL_MAX: '10' }).MAX_IN_FLIGHT_REQUESTS, loadConfig({ DB_POOL_MAX: '10' }).SHED_POOL_WAITING_MAX], [50, 40], 'a smaller pool, smaller bounds')
  const set = loadConfig({ DB_POOL_MAX: '10', MAX_IN_FLIGHT_REQUESTS: '0', SHED_POOL_WAITING_MAX: '7' })
  t.same([set.MAX_IN_FLIGHT_REQUESTS, set.SHED_POOL_WAITING_MAX], [0, 7], 'set, they are kept (0 turns a bound off)')
})

t.test('an invalid environment names every bad variable', async (t) => {
  let error: unknown
  try {
    loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud' })
  } catch (e) {
    error = e
  }
  t.ok(error instanceof ConfigError, 'a ConfigError')
  t.equal((error as Error).message, 'Invalid configuration:\n  PORT: must be integer\n  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent')
})

t.test('TRUST_PROXY: off by default; true, a hop count, or the proxies\' addresses and ranges', async (t) => {
  t.equal(trustProxyOption(loadConfig({}).TRUST_PROXY), false, 'by default X-Forwarded-For is not believed')
  t.equal(trustProxyOption('true'), true)
  const hops = trustProxyOption('2') as (address: string, hop: number) => boolean
  t.ok(hops('10.0.0.1', 0) && hops('10.0.0.2', 1), 'the nearest two hops are trusted')
  t.notOk(hops('203.0.113.9', 2), 'the third is not')
  t.same(trustProxyOption('10.0.0.0/8, 127.0.0.1,loopback,2001:db8::/32'), ['10.0.0.0/8', '127.0.0.1', 'loopback', '2001:db8::/32'])
  t.throws(() => loadConfig({ TRUST_PROXY: 'proxy.example.org' }), /TRUST_PROXY: must be true, false, a hop count/, 'a host name is refused at start')
  t.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' }), /TRUST_PROXY/)
  t.throws(() => loadConfig({ TRUST_PROXY: '0' }), /TRUST_PROXY: a hop count must be between 1 and 32/)
})
