/**
 * Renders each report from sample data and writes the first page of each as a PNG next to this
 * file, for the README: `npx tsx docs/report-images.ts` (needs pdftoppm, Debian's poppler-utils).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { CertificateData } from '../src/reports/certificate.ts'
import type { CohortReportData } from '../src/reports/cohort-report.ts'
import { renderReport, type RenderJob } from '../src/reports/renderers.ts'
import { sampleFeedbackData } from '../test/helpers/feedback-report.ts'
import { sampleProgressData } from '../test/helpers/progress-report.ts'

const DOCS = fileURLToPath(new URL('.', import.meta.url))
const NAMES = ['Amara Okafor', 'Łukasz Żółć', 'Ольга Петрова', 'Zoë Ñúñez', 'Đặng Thị Hương', 'Γιώργος Παπαδόπουλος', 'Siobhán Kelly', 'Mateo García', 'Hana Novak', 'Jonas Berg', 'Priya Raman', 'Tomás Ruiz']

function sampleCohort(): CohortReportData {
  const asOf = '2025-03-31'
  return {
    reportId: 'CR-5A1E0C4B-7D2E91F0', generatedAt: new Date('2025-03-31T08:00:00Z'),
    program: 'Certificate in Therapeutic Relationships', cohort: 'Spring 2025', organization: null,
    from: '2025-01-01', to: asOf, asOf, inactiveDays: 30,
    rubric: { key: 'therapeutic-relationships', version: 1, title: 'Building therapeutic relationships' },
    scale: [{ value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }],
    areas: ['Safe environment', 'Active listening', 'Empathy and validation'],
    trainees: NAMES.map((name, i) => {
      const seen = i % 5 !== 3
      const s = (base: number) => (seen ? Math.round(Math.min(4, base + (i % 4) * 0.4) * 100) / 100 : null)
      return {
        name, organization: i % 2 === 0 ? 'Riverside Hospice' : 'Northgate Schools', observations: seen ? 2 + (i % 4) : 0,
        supervisors: seen ? 1 + (i % 2) : 0, lastObservationOn: seen ? `2025-03-${String(28 - i * 2).padStart(2, '0')}` : null,
        daysSinceLastObservation: seen ? 3 + i * 2 : null, inactive: !seen, areaScores: [s(2.5), s(1.75), s(2)],
        overall: s(2.1),
        eligibility: i % 4 === 0 ? 'eligible' as const : i % 4 === 1 ? 'close' as const : 'not_eligible' as const
      }
    }),
    weakest: [
      { areaTitle: 'Active listening', criterionTitle: 'Reflecting feelings', meanLevel: 1.8, trainees: 10 },
      { areaTitle: 'Empathy and validation', criterionTitle: 'Validating without judging', meanLevel: 2.1, trainees: 10 },
      { areaTitle: 'Active listening', criterionTitle: 'Summarizing', meanLevel: 2.2, trainees: 9 },
      { areaTitle: 'Safe environment', criterionTitle: 'Explaining confidentiality', meanLevel: 2.4, trainees: 10 },
      { areaTitle: 'Empathy and validation', criterionTitle: 'Naming emotions', meanLevel: 2.6, trainees: 10 }
    ]
  }
}

function sampleCertificate(): CertificateData {
  return {
    serial: 'RC-2025-000042', traineeName: 'Zoë Ñúñez', programName: 'Certificate in Therapeutic Relationships',
    issuerName: 'Riverside Training Institute', issuedOn: '2025-03-31', issuedAt: new Date('2025-03-31T08:00:00Z'),
    verificationUrl: 'https://rapport.example.org/verify/k3J9xQ2mPz7vW4tR8yN5bC'
  }
}

async function pdfOf(job: RenderJob): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of renderReport(job) as unknown as Readable) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

const work = mkdtempSync(join(tmpdir(), 'rapport-images-'))
// The landscape certificate at a lower resolution, so its image is about as wide as the reports'.
const jobs: Array<[string, RenderJob, number?]> = [
  ['feedback-report', { kind: 'feedback', data: sampleFeedbackData() }],
  ['progress-report', { kind: 'progress', data: sampleProgressData(24) }],
  ['cohort-report', { kind: 'cohort', data: sampleCohort() }],
  ['certificate', { kind: 'certificate', data: sampleCertificate() }, 80]
]
for (const [name, job, resolution = 100] of jobs) {
  const pdf = join(work, `${name}.pdf`)
  writeFileSync(pdf, await pdfOf(job))
  execFileSync('pdftoppm', ['-png', '-r', String(resolution), '-f', '1', '-l', '1', '-singlefile', pdf, join(DOCS, name)])
  process.stdout.write(`docs/${name}.png\n`)
}
