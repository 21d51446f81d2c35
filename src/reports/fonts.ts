import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import * as fontkit from 'fontkit'
import type PDFDocument from 'pdfkit'

/**
 * DejaVu Sans covers Latin (incl. Vietnamese), Greek and Cyrillic, which the built-in Helvetica
 * cannot render. Each face is parsed by fontkit ONCE per process (or worker) and the parsed object
 * is handed to every document: pdfkit takes an object with `layout()` as-is, while a path or a
 * Buffer makes it re-parse the whole font for every document (several times slower).
 * pdfkit still subsets: only the glyphs used are embedded.
 */
const require = createRequire(import.meta.url)
const FACES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', italic: 'DejaVuSans-Oblique.ttf' } as const
export type Face = keyof typeof FACES

let parsed: Record<Face, fontkit.Font> | undefined

function load(file: string): fontkit.Font {
  const path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`)
  return fontkit.create(readFileSync(path)) as fontkit.Font
}

export function reportFonts(): Record<Face, fontkit.Font> {
  parsed ??= { regular: load(FACES.regular), bold: load(FACES.bold), italic: load(FACES.italic) }
  return parsed
}

/** Registers the faces under their names, so layout code says `doc.font('bold')`. */
export function registerFonts(doc: PDFKit.PDFDocument | InstanceType<typeof PDFDocument>): void {
  for (const [name, font] of Object.entries(reportFonts())) {
    // The typings only list paths and buffers; pdfkit's PDFFontFactory accepts a fontkit font too.
    doc.registerFont(name, font as unknown as PDFKit.Mixins.PDFFontSource)
  }
  doc.font('regular')
}
