import type { FeedbackArea, FeedbackCriterion, FeedbackReportData } from '../src/reports/feedback-report.ts'
import { CONFIDENTIAL, nearestLevel } from '../src/reports/feedback-report.ts'
import { COLOR, PAGE, SIZE } from '../src/reports/theme.ts'

/**
 * The feedback report as an HTML page for headless Chromium to print: the same content, order and
 * look as src/reports/feedback-report.ts (header grid, summary with a bar chart and trend lines,
 * every criterion, narrative, acknowledgement; the footer with "Page x of y" comes from Chromium's
 * footer template). It is the baseline of the report-render benchmark, not a second report.
 */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const MODALITY: Record<string, string> = { in_person: 'In person', video: 'Video', audio: 'Audio', simulated: 'Simulated' }

const CSS = `
@page { size: A4; }
body { margin: 0; font-family: 'DejaVu Sans', sans-serif; font-size: ${SIZE.body}pt; line-height: 1.35; color: ${COLOR.text}; }
.rule { width: 40pt; height: 3pt; background: ${COLOR.accent}; margin-bottom: 8pt; }
h1 { font-size: ${SIZE.title}pt; margin: 0; }
.subtitle { font-size: ${SIZE.subheading}pt; color: ${COLOR.muted}; margin-bottom: 12pt; }
.grid { display: grid; grid-template-columns: repeat(3, 1fr); background: ${COLOR.panel}; border-radius: 4pt; padding: 6pt 0; }
.grid div { padding: 4pt 10pt; } .label { font-size: ${SIZE.tiny}pt; font-weight: bold; color: ${COLOR.muted}; text-transform: uppercase; }
h2 { font-size: ${SIZE.heading}pt; color: ${COLOR.accent}; border-bottom: 0.75pt solid ${COLOR.rule}; padding-bottom: 3pt; margin: 14pt 0 8pt; break-after: avoid; }
h3 { font-size: ${SIZE.subheading}pt; margin: 0 0 2pt; display: flex; justify-content: space-between; break-after: avoid; }
h3 span { color: ${COLOR.accent}; }
.overall { font-size: ${SIZE.title}pt; font-weight: bold; color: ${COLOR.accent}; } .overall small { font-size: ${SIZE.subheading}pt; font-weight: normal; color: ${COLOR.muted}; }
.criterion { margin-bottom: 8pt; padding-left: 10pt; break-inside: avoid; } .criterion h3 { margin-left: -10pt; }
.note { font-size: ${SIZE.tiny}pt; color: ${COLOR.muted}; } .muted { color: ${COLOR.muted}; font-style: italic; }
p { margin: 0 0 4pt; }
.callout { border-left: 3pt solid ${COLOR.accent}; background: ${COLOR.panel}; padding: 8pt 12pt; margin-top: 8pt; break-inside: avoid; }
.callout b { color: ${COLOR.accent}; font-size: ${SIZE.small}pt; }
`

const LABEL_W = 150
const TREND_W = 90
const ROW = 26
const BAR = 12

/** Bars on the rubric's scale with a dashed gridline per level, and a sparkline of the trend. */
function barChart(d: FeedbackReportData, width = 483): string {
  const max = Math.max(...d.scale.map((s) => s.value))
  const chartW = width - LABEL_W - TREND_W - 16 - 24
  const x = (v: number) => LABEL_W + (v / (max || 1)) * chartW
  const height = 18 + d.areas.length * ROW + 4
  const min = d.scale[0]?.value ?? 0
  const grid = d.scale.map((s) => `<line x1="${x(s.value)}" y1="12" x2="${x(s.value)}" y2="${height}" stroke="${COLOR.rule}" stroke-width="0.5" stroke-dasharray="1.5 2"/>` +
    `<text x="${x(s.value)}" y="8" font-size="${SIZE.tiny}" fill="${COLOR.muted}" text-anchor="middle">${esc(s.label)}</text>`)
  const rows = d.areas.map((a, i) => {
    const y = 18 + i * ROW
    const bar = a.score === null
      ? `<text x="${LABEL_W + 4}" y="${y + 9}" font-size="${SIZE.small}" font-style="italic" fill="${COLOR.muted}">Not observed</text>`
      : `<rect x="${LABEL_W}" y="${y}" width="${chartW}" height="${BAR}" fill="${COLOR.panel}"/><rect x="${LABEL_W}" y="${y}" width="${Math.max(1, x(a.score) - LABEL_W)}" height="${BAR}" fill="${COLOR.accent}"/>` +
        `<text x="${x(a.score) + 4}" y="${y + 9}" font-size="${SIZE.small}" font-weight="bold" fill="${COLOR.text}">${a.score.toFixed(2)}</text>`
    return `<text x="0" y="${y + 9}" font-size="${SIZE.small}" font-weight="bold" fill="${COLOR.text}">${esc(a.title)}</text>${bar}${sparkline(a, width - TREND_W + 6, y - 2, min, max)}`
  })
  return `<svg width="${width}pt" height="${height}pt" viewBox="0 0 ${width} ${height}">${grid.join('')}` +
    `<text x="${width - TREND_W / 2}" y="8" font-size="${SIZE.tiny}" fill="${COLOR.muted}" text-anchor="middle">Trend</text>${rows.join('')}</svg>`
}

function sparkline(a: FeedbackArea, x0: number, y0: number, min: number, max: number): string {
  const w = TREND_W - 12
  const h = BAR + 4
  const pts = a.trend.map((v, i) => v === null ? null : [x0 + (a.trend.length === 1 ? w / 2 : (i / (a.trend.length - 1)) * w), y0 + h - ((v - min) / (max - min || 1)) * h] as const)
    .filter((p) => p !== null)
  const dots = pts.map(([px, py], i) => `<circle cx="${px}" cy="${py}" r="${i === pts.length - 1 ? 2.2 : 1.3}" fill="${i === pts.length - 1 ? COLOR.accent : COLOR.muted}"/>`)
  return `<line x1="${x0}" y1="${y0 + h}" x2="${x0 + w}" y2="${y0 + h}" stroke="${COLOR.rule}" stroke-width="0.5"/>` +
    (pts.length > 1 ? `<polyline points="${pts.map((p) => p.join(',')).join(' ')}" fill="none" stroke="${COLOR.accent}" stroke-width="1" stroke-linejoin="round"/>` : '') + dots.join('')
}

function criterion(c: FeedbackCriterion, topLabel: string): string {
  const aside = c.notObserved ? 'Not observed' : c.level === null ? 'Not scored' : `${c.levelLabel ?? ''} (${c.level})`
  const body = c.notObserved ? '<p class="muted">This behaviour did not come up in the session, so it was not assessed.</p>'
    : c.level === null ? '<p class="muted">This optional criterion was not scored.</p>'
      : c.descriptor ? `<p>${esc(c.descriptor)}</p>` : ''
  const evidence = c.evidence ? `<div class="label">Supervisor's evidence</div><p>${esc(c.evidence)}</p>` : ''
  const next = c.level !== null && !c.notObserved
    ? `<div class="label">Next step</div><p${c.nextStep ? '' : ` style="color:${COLOR.accent}"`}>${esc(c.nextStep ?? `Top level (${topLabel}) reached: keep it consistent across clients and settings.`)}</p>` : ''
  return `<div class="criterion"><h3>${esc(c.title)}<span>${esc(aside)}</span></h3>${body}${evidence}${next}</div>`
}

export function feedbackHtml(d: FeedbackReportData): string {
  const fields: Array<[string, string]> = [
    ['Trainee', d.trainee], ['Supervisor', d.supervisor], ['Session date', d.sessionDate + (d.durationMinutes ? ` · ${d.durationMinutes} min` : '')],
    ['Setting', d.setting], ['Modality', MODALITY[d.modality] ?? d.modality], ['Rubric', `${d.rubric.title} (${d.rubric.key} v${d.rubric.version})`]
  ]
  const level = d.overall === null ? undefined : nearestLevel(d.scale, d.overall)
  const sessions = Math.max(0, ...d.areas.map((a) => a.trend.length))
  const topLabel = d.scale.at(-1)?.label ?? 'top'
  const narrative = ([['Strengths', d.strengths], ['Areas for growth', d.areasForGrowth], ['Action plan', d.actionPlan]] as const)
    .map(([label, text]) => `<h3>${label}</h3>${text ? `<p>${esc(text)}</p>` : '<p class="muted">Nothing recorded.</p>'}`).join('')
  const ack = d.acknowledgement
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`Observation feedback: ${d.trainee}, ${d.sessionDate}`)}</title><style>${CSS}</style></head><body>
<div class="rule"></div><h1>Observation feedback report</h1><div class="subtitle">${esc(d.program)}</div>
<div class="grid">${fields.map(([k, v]) => `<div><div class="label">${k}</div>${esc(v)}</div>`).join('')}</div>
<h2>Summary</h2><div class="label">Overall level</div>
${d.overall === null ? '<p class="muted">No criterion was scored in this session.</p>'
    : `<div class="overall">${esc(level?.label ?? '')} <small>${d.overall.toFixed(2)} of ${d.scale.at(-1)?.value ?? ''} · weighted mean of the skill areas</small></div>`}
${barChart(d)}
<p class="note">${sessions > 1 ? `Trend: area scores over the trainee's last ${sessions} submitted observations in this program, oldest on the left; the large dot is this session.`
    : 'Trend: this is the first submitted observation of the trainee in this program.'}</p>
${d.areas.map((a) => `<h2>${esc(a.title)}  —  ${a.score === null ? 'not observed' : `${a.score.toFixed(2)} · ${esc(nearestLevel(d.scale, a.score)?.label ?? '')}`}</h2>` +
    a.criteria.map((c) => criterion(c, topLabel)).join('')).join('\n')}
<h2>Feedback and plan</h2>${narrative}
<div class="callout"><b>${ack ? `Acknowledged by the trainee on ${ack.at.slice(0, 10)}` : 'Not yet acknowledged by the trainee'}</b>
<p>${esc(ack ? (ack.comment ? `Trainee's comment: ${ack.comment}` : 'The trainee left no comment.') : 'The trainee has not yet confirmed reading this feedback.')}</p></div>
</body></html>`
}

const stamp = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** Chromium's print footer: report id, generation time, "Page x of y" and the confidentiality line on every page. */
export function feedbackFooter(d: FeedbackReportData): string {
  return `<div style="width:100%; margin:0 ${PAGE.margin}pt; font-family:'DejaVu Sans',sans-serif; font-size:${SIZE.tiny}pt; color:${COLOR.muted}; border-top:0.5pt solid ${COLOR.rule}; padding-top:5pt;">` +
    `<div style="display:flex; justify-content:space-between;"><span>Report ${esc(d.reportId)} · generated ${stamp(d.generatedAt)}</span>` +
    `<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div><div>${esc(CONFIDENTIAL)}</div></div>`
}

/** The page margins of the pdfkit report (points), in the units page.pdf() takes (inches). */
const inches = (points: number) => `${points / 72}in`
export const PRINT_MARGIN = { top: inches(PAGE.margin), right: inches(PAGE.margin), bottom: inches(PAGE.margin + PAGE.footerHeight), left: inches(PAGE.margin) }
