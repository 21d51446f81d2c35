import { existsSync } from 'node:fs'
import type { FeedbackReportData } from '../src/reports/feedback-report.ts'
import { chromiumPids } from './report-render-memory.ts'
import { feedbackFooter, feedbackHtml, PRINT_MARGIN } from './report-html.ts'

/**
 * The baseline of the report-render benchmark: the same feedback report printed by headless
 * Chromium (Debian's `chromium` package) through playwright-core, the usual way of making PDFs from
 * HTML in Node. The browser is started once and stays warm; every concurrent slot has its own page,
 * and each render is page.setContent + page.pdf of a freshly templated page.
 */
export const CHROMIUM = '/usr/bin/chromium'
/** /usr/bin/chromium is a wrapper script; every process of the browser runs a binary from here. */
const BINARY_DIR = '/usr/lib/chromium/'

export interface ChromiumPrinter {
  version: string
  /** Renders the report once in page `slot`; returns the PDF. */
  render(slot: number): Promise<Buffer>
  /** Chromium's processes (browser, zygotes, renderers, GPU and utility processes). */
  pids(): number[]
  close(): Promise<void>
}

/** Why Chromium cannot run here and how to fix it, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} was not found. Install it with: apt-get install -y chromium`
  return undefined
}

export async function startChromium(data: FeedbackReportData, slots: number): Promise<ChromiumPrinter> {
  // Loaded here, so the rest of the benchmark runs where the package is not installed.
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true })
  const context = await browser.newContext()
  const pages = await Promise.all(Array.from({ length: slots }, () => context.newPage()))
  const options = {
    format: 'A4', printBackground: true, margin: PRINT_MARGIN,
    displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: feedbackFooter(data)
  } as const
  return {
    version: browser.version(),
    async render(slot) {
      const page = pages[slot]!
      await page.setContent(feedbackHtml(data), { waitUntil: 'load' })
      return page.pdf(options)
    },
    pids: () => chromiumPids(BINARY_DIR),
    close: () => browser.close()
  }
}

/**
 * Keeps `concurrency` renders in flight for `durationSec` seconds (slot i always uses page i) and
 * returns the time of each render that finished within it, in ms.
 */
export async function timedLoop(concurrency: number, durationSec: number, render: (slot: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = []
  const end = performance.now() + durationSec * 1000
  await Promise.all(Array.from({ length: concurrency }, async (_, slot) => {
    while (performance.now() < end) {
      const started = performance.now()
      await render(slot)
      const finished = performance.now()
      if (finished <= end) latencies.push(finished - started)
    }
  }))
  return latencies
}
