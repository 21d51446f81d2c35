import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../../src/app.ts'
import { invitationFor } from './accounts.ts'
import type { Client } from './app.ts'

/** A tiny browser: keeps cookies between requests, reads the CSRF token from the last form. */
export function browser(app: App, o: { remoteAddress?: string } = {}) {
  const jar = new Map<string, string>()
  let csrf = ''
  const remember = (res: LightMyRequestResponse) => {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(res.body)?.[1]
    if (token) csrf = token
    return res
  }
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  return {
    jar,
    get csrf() { return csrf },
    get: async (url: string) => remember(await app.inject({ method: 'GET', url, remoteAddress: o.remoteAddress, headers: { cookie: cookie() } })),
    post: async (url: string, form: Record<string, string>, p: { csrf?: string | null; origin?: string } = {}) => {
      const token = p.csrf === undefined ? csrf : p.csrf
      const body = new URLSearchParams({ ...form, ...(token === null ? {} : { _csrf: token }) }).toString()
      return remember(await app.inject({
        method: 'POST', url, payload: body, remoteAddress: o.remoteAddress,
        headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded', ...(p.origin ? { origin: p.origin } : {}) }
      }))
    }
  }
}


export type Browser = ReturnType<typeof browser>

/**
 * A person with a password, signed in through their invitation link (as they would be). A trainee or
 * supervisor who has an account already (one per person) is signed in with it, given this name and email.
 */
export async function signedIn(app: App, admin: Client, account: { role: string; name: string; email: string } & Record<string, unknown>, password = 'a long enough passphrase 7'): Promise<Browser> {
  const path = new URL(await invitationFor(admin, account)).pathname
  const b = browser(app)
  await b.get(path)
  const done = await b.post(path, { password, confirm: password })
  if (done.statusCode !== 303) throw new Error(`setting the password failed: ${done.statusCode}`)
  return b
}
