import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../../src/app.ts'
import type { Client } from './app.ts'

/** A tiny browser: keeps cookies between requests, reads the CSRF token from the last form. */
export function browser(app: App) {
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
    get: async (url: string) => remember(await app.inject({ method: 'GET', url, headers: { cookie: cookie() } })),
    post: async (url: string, form: Record<string, string>, o: { csrf?: string | null; origin?: string } = {}) => {
      const token = o.csrf === undefined ? csrf : o.csrf
      const body = new URLSearchParams({ ...form, ...(token === null ? {} : { _csrf: token }) }).toString()
      return remember(await app.inject({
        method: 'POST', url, payload: body,
        headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded', ...(o.origin ? { origin: o.origin } : {}) }
      }))
    }
  }
}


export type Browser = ReturnType<typeof browser>

/** A person with a password, signed in through their invitation link (as they would be). */
export async function signedIn(app: App, admin: Client, account: { role: string; name: string; email: string } & Record<string, unknown>, password = 'a long enough passphrase 7'): Promise<Browser> {
  const created = await admin.post('/v1/accounts', { body: account })
  if (created.statusCode !== 201) throw new Error(created.body)
  const invite = await admin.post(`/v1/accounts/${created.json().id}/invitations`)
  const path = new URL(invite.json().url).pathname
  const b = browser(app)
  await b.get(path)
  const done = await b.post(path, { password, confirm: password })
  if (done.statusCode !== 303) throw new Error(`setting the password failed: ${done.statusCode}`)
  return b
}
