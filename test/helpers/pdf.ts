import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

export interface ParsedPdf {
  pages: string[]
  /** All pages' text joined, for "contains" checks. */
  text: string
}

/** Opens a PDF with pdf.js (a failure to parse throws) and returns each page's text. */
export async function parsePdf(bytes: Uint8Array): Promise<ParsedPdf> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, verbosity: 0 }).promise
  const pages: string[] = []
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent()
    pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''))
  }
  await pdf.destroy()
  return { pages, text: pages.join('\n') }
}

/** The text with all whitespace removed, to compare wrapped paragraphs with their source. */
export const squash = (text: string): string => text.replace(/\s+/g, '')

export interface TextBox { page: number; text: string; x: number; y: number; width: number; height: number }

/**
 * Pairs of text runs on the same page whose boxes intersect (beyond a rounding tolerance): text
 * drawn over other text, the failure a flowing layout must never show.
 */
export async function overlappingText(bytes: Uint8Array, tolerance = 0.5): Promise<Array<[TextBox, TextBox]>> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, verbosity: 0 }).promise
  const found: Array<[TextBox, TextBox]> = []
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent()
    const boxes: TextBox[] = content.items
      .filter((item) => 'str' in item && item.str.trim() !== '')
      .map((item) => {
        const it = item as { str: string; transform: number[]; width: number; height: number }
        // Baseline at transform[5]; a run occupies roughly its font size above it.
        return { page: i, text: it.str, x: it.transform[4]!, y: it.transform[5]!, width: it.width, height: it.height }
      })
    for (let a = 0; a < boxes.length; a++) {
      for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a]!
        const q = boxes[b]!
        const dx = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x)
        const dy = Math.min(p.y + p.height * 0.8, q.y + q.height * 0.8) - Math.max(p.y - p.height * 0.2, q.y - q.height * 0.2)
        if (dx > tolerance && dy > tolerance) found.push([p, q])
      }
    }
  }
  await pdf.destroy()
  return found
}
