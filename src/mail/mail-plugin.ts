import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'

/** The mail worker (SMTP or kept) and the mail-notices feed consumer. Built by the email work package. */
export default fp(async function mailPlugin(app: FastifyInstance, config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_BASE_URL'>) {
  void app; void config
}, { name: 'mail', dependencies: ['background', 'events'] })
