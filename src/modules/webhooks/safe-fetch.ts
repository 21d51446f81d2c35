import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import type { Readable } from 'node:stream'
import { Agent } from 'undici'

/**
 * Delivery's HTTP, safe by default (design §4): https only, no userinfo, and only public
 * addresses. The check runs inside the connection's own DNS lookup, and the socket connects to
 * exactly the addresses checked, so a name that re-resolves to 127.0.0.1 between a check and the
 * connect (DNS rebinding) never reaches it. An IP-literal URL never calls lookup: it is checked
 * before the request. Redirects are not followed (they count as failures). undici 7's own request
 * API on its Agent (not fetch: a delivery needs neither WHATWG streams nor redirect handling, and
 * request costs a fraction of fetch's CPU per call).
 */
export const DELIVERY_TIMEOUT_MS = 15_000
export const EXCERPT_BYTES = 1024

/** Unicast only: not private, loopback, link-local (cloud metadata), CGNAT, unique-local, 6to4, teredo, ... */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  return parsed.range() === 'unicast'
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '')

/** Why the URL may not be delivered to, judged without DNS; undefined when it may (so far). */
export function urlRefusal(text: string, allowPrivate: boolean): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'is not an absolute URL'
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'must be an https URL'
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password'
  const host = bare(url.hostname)
  if (!allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return `names a non-public address (${host})`
  return undefined
}

function blocked(host: string, address: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${host} resolves to a non-public address (${address})`), { code: 'EADDRBLOCKED' })
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** net.connect's lookup, refusing when any address of the name is not public. */
function guardedLookup(host: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void {
  dnsLookup(host, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, [])
    const bad = addresses.find((a) => !isPublicAddress(a.address))
    if (bad) return callback(blocked(host, bad.address), [])
    if (options.all) return callback(null, addresses)
    const first = addresses[0]
    if (!first) return callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }), [])
    callback(null, first.address, first.family)
  })
}

/** A name's addresses, all public (registration's check; delivery checks again on every connection). */
export function resolvesPublic(host: string, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs)
    dnsLookup(host, { all: true }, (err, addresses) => {
      clearTimeout(timer)
      // A name that does not resolve (yet) is no address to refuse: its deliveries fail and are recorded.
      if (err) return resolve(undefined)
      resolve(addresses.find((a) => !isPublicAddress(a.address))?.address)
    })
  })
}

export interface DeliveryAnswer {
  status: number | null
  latencyMs: number
  /** The first KiB of the answer's body, control characters removed (and a redirect's location). */
  excerpt: string | null
  /** A code for what went wrong before or instead of an answer (EADDRBLOCKED, ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...). */
  error: string | null
  retryAfter: string | null
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g

async function excerptOf(body: Readable): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    size += chunk.byteLength
    if (size >= EXCERPT_BYTES) break
  }
  // Breaking out of the loop destroys the rest of a long answer (its connection is not reused).
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').replace(CONTROL, '').slice(0, EXCERPT_BYTES)
}

const header = (value: string | string[] | undefined): string | null => (Array.isArray(value) ? value[0] : value) ?? null

const codeOf = (err: unknown): string => {
  let at: unknown = err
  for (let depth = 0; depth < 4 && at; depth++) {
    const e = at as { code?: unknown; name?: unknown; cause?: unknown }
    if (typeof e.code === 'string') return e.code
    if (e.name === 'TimeoutError') return 'ETIMEDOUT'
    if (e.name === 'AbortError') return 'EABORTED'
    at = e.cause
  }
  return 'EFETCH'
}

/** One agent per policy: connections are pooled per origin, the lookup guard runs on each new one. */
export function createDeliveryAgent(allowPrivate: boolean): Agent {
  return new Agent({
    connect: { timeout: 5000, ...(allowPrivate ? {} : { lookup: guardedLookup }) },
    headersTimeout: DELIVERY_TIMEOUT_MS, bodyTimeout: DELIVERY_TIMEOUT_MS
  })
}

/** POSTs one signed delivery; never throws: every outcome is an answer to record. */
export async function deliver(agent: Agent, allowPrivate: boolean, url: string, headers: Record<string, string>, body: string, signal?: AbortSignal)
  : Promise<DeliveryAnswer> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const refusal = urlRefusal(url, allowPrivate)
  if (refusal) return { status: null, latencyMs: 0, excerpt: null, error: 'EADDRBLOCKED', retryAfter: null }
  // One controller for both ends of a send: the 15 s budget (answer and excerpt) and shutdown.
  const abort = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; abort.abort() }, DELIVERY_TIMEOUT_MS)
  const stop = () => abort.abort()
  signal?.addEventListener('abort', stop, { once: true })
  try {
    const target = new URL(url)
    const res = await agent.request({
      origin: target.origin, path: `${target.pathname}${target.search}`, method: 'POST', body, signal: abort.signal,
      headers: { 'content-type': 'application/json', 'user-agent': 'Rapport-Webhooks/1', ...headers }
    })
    const location = res.statusCode >= 300 && res.statusCode < 400 ? header(res.headers.location) : null
    const text = await excerptOf(res.body)
    const excerpt = location === null ? text : `location: ${location.replace(CONTROL, '')}\n${text}`.slice(0, EXCERPT_BYTES)
    return { status: res.statusCode, latencyMs: elapsed(), excerpt, error: null, retryAfter: header(res.headers['retry-after']) }
  } catch (err) {
    const error = timedOut ? 'ETIMEDOUT' : signal?.aborted ? 'EABORTED' : codeOf(err)
    return { status: null, latencyMs: elapsed(), excerpt: null, error, retryAfter: null }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', stop)
  }
}
