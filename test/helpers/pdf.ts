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
