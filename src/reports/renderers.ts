import { renderCertificate, type CertificateData } from './certificate.ts'
import { renderCohortReport, type CohortReportData } from './cohort-report.ts'
import type { Doc } from './document.ts'
import { renderFeedbackReport, type FeedbackReportData } from './feedback-report.ts'
import { renderProgressReport, type ProgressReportData } from './progress-report.ts'

/** Every report the render pool knows, by kind; a later report adds one line here. */
export type RenderJob =
  | { kind: 'feedback'; data: FeedbackReportData }
  | { kind: 'progress'; data: ProgressReportData }
  | { kind: 'cohort'; data: CohortReportData }
  | { kind: 'certificate'; data: CertificateData }

export function renderReport(job: RenderJob): Doc {
  switch (job.kind) {
    case 'feedback': return renderFeedbackReport(job.data)
    case 'progress': return renderProgressReport(job.data)
    case 'cohort': return renderCohortReport(job.data)
    case 'certificate': return renderCertificate(job.data)
  }
}
