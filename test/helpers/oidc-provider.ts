import { generateKeyPairSync } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Server } from 'node:http'
import Provider from 'oidc-provider'
import type { Test } from 'tap'
import { freePort } from './browser.ts'

/**
 * A real OpenID Provider (panva's oidc-provider, OpenID certified) on a loopback port, for the
 * single sign-on tests: it signs real ID tokens with its own keys. Its development login page
 * takes any login (the subject) and password; `people` says which claims each subject has.
 * `faults` make it misbehave the ways an identity provider can: an ID token for another client
 * (wrong audience), a short-lived ID token delivered late (expired on arrival).
 */
export interface TestProvider {
  issuer: string
  clientId: string
  clientSecret: string
  people: Map<string, { email?: string; email_verified?: boolean; name?: string }>
  faults: { audienceOf?: string; idTokenTtlSeconds?: number; tokenDelayMs?: number }
}

export async function startTestProvider(t: Test, redirectUri: string): Promise<TestProvider> {
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const people: TestProvider['people'] = new Map()
  const faults: TestProvider['faults'] = {}
  const client = { client_id: 'rapport', client_secret: 'rapport-client-secret', redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_post' as const }
  const provider = new Provider(issuer, {
    clients: [client, { ...client, client_id: 'another-app', client_secret: 'another-app-secret' }],
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, ...people.get(sub) }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    ttl: { IdToken: () => faults.idTokenTtlSeconds ?? 3600 },
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['oidc-provider test cookie key'] },
    features: { devInteractions: { enabled: true } }
  })
  // An ID token issued as if to another client: really signed by this provider, for the wrong audience.
  const issue = provider.IdToken.prototype.issue
  provider.IdToken.prototype.issue = async function (this: InstanceType<typeof provider.IdToken>, ...args: Parameters<typeof issue>) {
    if (faults.audienceOf) (this as unknown as { client: unknown }).client = await provider.Client.find(faults.audienceOf)
    return issue.apply(this, args)
  }
  // The token endpoint's answer held back, as a slow network would.
  provider.use(async (ctx: { path: string }, next: () => Promise<void>) => {
    await next()
    if (ctx.path === '/token' && faults.tokenDelayMs) await sleep(faults.tokenDelayMs)
  })
  const server: Server = provider.listen(port, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { issuer, clientId: client.client_id, clientSecret: client.client_secret, people, faults }
}
