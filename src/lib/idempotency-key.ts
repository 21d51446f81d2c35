import { createHash } from 'node:crypto'
import { pipeline, Transform, type Readable } from 'node:stream'

const BARE = /^[\x21-\x7e]{1,255}$/
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/

/**
 * The key as the draft sends it (a structured-field string, `"…"`), or bare as most clients do;
 * 1 to 255 printable ASCII characters either way. Undefined when it is neither.
 */
export function parseIdempotencyKey(raw: string): string | undefined {
  const quoted = QUOTED.exec(raw)
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : raw.startsWith('"') ? undefined : raw
  return key !== undefined && key.length >= 1 && key.length <= 255 && (quoted ? true : BARE.test(key)) ? key : undefined
}

/**
 * SHA-256 of a request's method, path with query and body bytes, the body hashed as it streams to
 * whoever reads it: Fastify's JSON parser (done before the handler) or a route that streams the body
 * itself (a CSV import, done only once the handler has read it).
 */
export class RequestDigest {
  private readonly hash
  private finished = false
  private bytes = 0
  private limit = Infinity
  /** Settles when every byte of the body has been hashed (or the body failed). */
  readonly done: Promise<void>
  private settle!: (err?: Error) => void

  constructor(method: string, url: string) {
    this.hash = createHash('sha256').update(`${method} ${url}\n`)
    this.done = new Promise<void>((resolve, reject) => { this.settle = (err) => (err ? reject(err) : resolve()) })
    this.done.catch(() => {})
  }

  /** A request without a body: complete at once. */
  static bodyless(method: string, url: string): RequestDigest {
    const d = new RequestDigest(method, url)
    d.finish()
    return d
  }

  /** Wraps the body stream; what the parser reads passes through the hash unchanged. */
  tee(payload: Readable): Readable {
    const tee = new Transform({
      transform: (chunk: Buffer, _enc, next) => {
        this.bytes += chunk.length
        if (this.bytes > this.limit) return next(new BodyTooLarge(this.limit))
        this.hash.update(chunk)
        next(null, chunk)
      },
      flush: (next) => { this.finish(); next() }
    })
    Object.defineProperty(tee, 'receivedEncodedLength', { get: () => (payload as Readable & { receivedEncodedLength?: number }).receivedEncodedLength })
    pipeline(payload, tee, (err) => { if (err) this.settle(err) })
    this.stream = tee
    return tee
  }

  /** The body stream as handed to the parser, to drain it when the request is answered without its handler. */
  stream: Readable | undefined

  get complete(): boolean { return this.finished }

  /** The hex digest; only meaningful once complete. */
  value(): string {
    return this.hash.copy().digest('hex')
  }

  /**
   * Reads the rest of the body into the hash, discarding it (a replay or a refusal needs its digest,
   * not its content), at most `limit` bytes: the route's own counting never sees these bytes.
   */
  async drain(limit: number): Promise<string> {
    if (!this.finished) {
      this.limit = limit
      this.stream?.unpipe()
      this.stream?.resume()
      await this.done
    }
    return this.value()
  }

  private finish(): void {
    this.finished = true
    this.settle()
  }
}

/** The body of a request answered from the store ran past the route's body limit. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) { super(`body over ${limit} bytes`) }
}
