import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults, conversion and the derived public address', async (t) => {
  const config = loadConfig({})
  t.equal(config.PORT, 3000)
  t.equal(config.PUBLIC_BASE_URL, 'http://localhost:3000')
  t.equal(loadConfig({ PORT: '3456' }).PUBLIC_BASE_URL, 'http://localhost:3456', 'unset, it follows the port')
  t.equal(loadConfig({ PORT: '3456', PUBLIC_BASE_URL: 'https://rapport.example.org' }).PUBLIC_BASE_URL, 'https://rapport.example.org', 'set, it is kept')
  t.equal(loadConfig({ LOAD_RUBRICS_ON_START: 'false' }).LOAD_RUBRICS_ON_START, false, 'strings are converted to their types')
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
