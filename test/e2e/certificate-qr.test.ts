import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import jsqr from 'jsqr'
import { renderCertificate, type CertificateData } from '../../src/reports/certificate.ts'

// jsqr is CommonJS whose typings declare an ES default export; its exports carry both shapes.
const jsQR = jsqr.default

/**
 * The QR code as drawn, not only its matrix: the certificate's page is rasterized with poppler's
 * pdftoppm (Debian's poppler-utils, which .ci/run installs with the browser) and scanned.
 */
t.test('the QR code drawn on the certificate scans back to its verification address', async (t) => {
  const data: CertificateData = {
    serial: 'RC-2025-000042', traineeName: 'Zoë Ñúñez', programName: 'Certificate in Therapeutic Relationships',
    issuerName: 'Riverside Training Institute', issuedOn: '2025-03-31', issuedAt: new Date('2025-03-31T08:00:00Z'),
    verificationUrl: 'https://rapport.example.org/verify/k3J9xQ2mPz7vW4tR8yN5bC'
  }
  const parts: Buffer[] = []
  for await (const chunk of renderCertificate(data) as unknown as Readable) parts.push(chunk as Buffer)
  const dir = t.testdir()
  writeFileSync(join(dir, 'c.pdf'), Buffer.concat(parts))
  execFileSync('pdftoppm', ['-r', '100', '-singlefile', join(dir, 'c.pdf'), join(dir, 'c')])
  // A binary PPM: "P6\n<width> <height>\n255\n", then RGB triples.
  const ppm = readFileSync(join(dir, 'c.ppm'))
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 50).toString('latin1'))!
  const [w, h] = [Number(header[1]), Number(header[2])]
  const rgb = ppm.subarray(header[0].length)
  const rgba = new Uint8ClampedArray(w * h * 4)
  for (let i = 0; i < w * h; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i)
  t.equal(jsQR(rgba, w, h)?.data, data.verificationUrl, 'a scanner reads the address from the rendered page')
})
