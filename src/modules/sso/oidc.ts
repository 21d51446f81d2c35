import * as client from 'openid-client'

/**
 * The one place Rapport speaks OpenID Connect, through openid-client (certified by the OpenID
 * Foundation): discovery, the authorization request (code flow, PKCE S256, state, nonce) and the
 * callback, where the library checks the ID token's signature, iss, aud, azp, exp, iat and nonce.
 * Discovered configurations are kept per provider revision by the app instance, not the process.
 */
export interface OidcOptions {
  allowInsecureIssuers: boolean
  clockToleranceSeconds: number
  /** The one callback of every provider: PUBLIC_BASE_URL + CALLBACK_PATH. */
  redirectUri: string
}

export const CALLBACK_PATH = '/sign-in/sso/callback'
const DISCOVERY_TIMEOUT_SECONDS = 10
const CACHE_MS = 10 * 60_000

export interface ProviderClient { id: string; revision: number; issuer: string; clientId: string; clientSecret: string }

/** Why a provider's answer was refused, in words an audit reader and a test can branch on. */
export type OidcFailure = 'wrong-audience' | 'token-expired' | 'token-invalid' | 'provider-error' | 'provider-unreachable'

export class DiscoveryError extends Error {
  constructor(readonly reason: 'unreachable' | 'not-oidc', message: string) { super(message) }
}

/** Discovery of an issuer (its /.well-known/openid-configuration); the document must name that very issuer. */
export async function discover(o: OidcOptions, p: Pick<ProviderClient, 'issuer' | 'clientId' | 'clientSecret'>): Promise<client.Configuration> {
  try {
    return await client.discovery(new URL(p.issuer), p.clientId, { client_secret: p.clientSecret, [client.clockTolerance]: o.clockToleranceSeconds },
      client.ClientSecretPost(p.clientSecret), {
        timeout: DISCOVERY_TIMEOUT_SECONDS, ...(o.allowInsecureIssuers ? { execute: [client.allowInsecureRequests] } : {})
      })
  } catch (err) {
    const code = (err as { code?: unknown }).code
    // openid-client's own codes mean an answer came back but was no OpenID Provider metadata for this issuer.
    if (typeof code === 'string' && (code.startsWith('OAUTH_') || code === 'ERR_INVALID_URL')) throw new DiscoveryError('not-oidc', (err as Error).message)
    throw new DiscoveryError('unreachable', (err as Error).message)
  }
}

/** Discovered configurations by provider id and revision, held by the app (a new revision discovers again). */
export function oidcClients(o: OidcOptions) {
  const cache = new Map<string, { config: Promise<client.Configuration>; at: number }>()
  return {
    options: o,
    configFor(p: ProviderClient): Promise<client.Configuration> {
      const key = `${p.id}.${p.revision}`
      const hit = cache.get(key)
      if (hit && Date.now() - hit.at < CACHE_MS) return hit.config
      const config = discover(o, p)
      cache.set(key, { config, at: Date.now() })
      config.catch(() => cache.delete(key))
      return config
    }
  }
}
export type OidcClients = ReturnType<typeof oidcClients>

export interface Started { url: string; state: string; codeVerifier: string; nonce: string }

export async function authorizationRequest(config: client.Configuration, o: OidcOptions, loginHint?: string): Promise<Started> {
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: o.redirectUri, scope: 'openid email profile', response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce,
    ...(loginHint ? { login_hint: loginHint } : {})
  })
  return { url: url.href, state, codeVerifier, nonce }
}

export interface Identity { subject: string; email: string | undefined; emailVerified: boolean; name: string | undefined }

/**
 * The callback: the code exchanged (with the PKCE verifier) and the ID token checked. The email
 * comes from the ID token, else from the UserInfo endpoint (for the same subject).
 */
export async function completeCallback(config: client.Configuration, currentUrl: URL, expected: { state: string; codeVerifier: string; nonce: string }):
Promise<{ ok: true; identity: Identity } | { ok: false; reason: OidcFailure; detail: string }> {
  try {
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true
    })
    const claims = tokens.claims()
    if (!claims) return { ok: false, reason: 'token-invalid', detail: 'no ID token' }
    let email = typeof claims.email === 'string' ? claims.email : undefined
    let verified = emailVerified(claims)
    if (email === undefined && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
      email = typeof info.email === 'string' ? info.email : undefined
      verified = emailVerified(info)
    }
    return { ok: true, identity: { subject: claims.sub, email, emailVerified: verified, name: typeof claims.name === 'string' ? claims.name : undefined } }
  } catch (err) {
    return { ok: false, reason: failureOf(err), detail: (err as Error).message }
  }
}

/**
 * `email_verified: true`; or, when the provider sends no email_verified at all, Microsoft Entra's
 * optional claim `xms_edov: true` (the email's domain is verified by the tenant that owns the
 * account: Entra never sends email_verified for work accounts).
 */
export function emailVerified(claims: Record<string, unknown>): boolean {
  if (claims.email_verified !== undefined) return claims.email_verified === true
  return claims.xms_edov === true
}

/** openid-client's errors (oauth4webapi's codes) as the reasons Rapport audits. */
export function failureOf(err: unknown): OidcFailure {
  const e = err as { code?: string; cause?: { claim?: string; cause?: { claim?: string } } }
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) return 'provider-error'
  // openid-client wraps oauth4webapi's error, whose cause names the claim.
  const claim = e.cause?.claim ?? e.cause?.cause?.claim
  if (e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && (claim === 'aud' || claim === 'azp')) return 'wrong-audience'
  if (e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && claim === 'exp') return 'token-expired'
  if (typeof e.code === 'string' && e.code.startsWith('OAUTH_')) return 'token-invalid'
  if (err instanceof TypeError || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') return 'provider-unreachable'
  return 'token-invalid'
}
