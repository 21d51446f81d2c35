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
  return sharedLayoutFace(fontkit.create(readFileSync(path)) as fontkit.Font)
}

/** Words shaped per face and kept for every later document (a report uses a few hundred). */
export const SHAPED_WORDS_KEPT = 20_000

/**
 * Shaping a word (fontkit's glyph substitution and positioning lookups) is the costliest part of
 * laying out a report, and pdfkit caches it only within one document. Reports repeat the same words
 * (headings, level names, descriptors), so the shaped runs are kept per process: the face handed
 * to pdfkit is the parsed font with a `layout()` that answers from this cache. pdfkit scales the
 * positions of a run in place, so each answer is a fresh copy of the positions around the shared
 * glyphs. The cache is emptied when it reaches `keep` words, so memory stays bounded
 * whatever text comes in.
 */
export function sharedLayoutFace(font: fontkit.Font, keep = SHAPED_WORDS_KEPT): fontkit.Font {
  const shaped = new Map<string, fontkit.GlyphRun>()
  const face = Object.create(font) as fontkit.Font
  face.layout = (text: string | fontkit.Glyph[], ...rest: unknown[]) => {
    // Only plain words are cached; anything asked with features, script or direction is shaped as asked.
    if (typeof text !== 'string' || rest.some((arg) => arg !== undefined)) {
      return (font.layout as (...args: unknown[]) => fontkit.GlyphRun)(text, ...rest)
    }
    let run = shaped.get(text)
    if (!run) {
      if (shaped.size >= keep) shaped.clear()
      run = font.layout(text)
      shaped.set(text, run)
    }
    return new ShapedRun(run) as unknown as fontkit.GlyphRun
  }
  face.getGlyph = (id: number, codePoints?: number[]) => decodedOnce(font.getGlyph(id, codePoints))
  return face
}

type Decodable = fontkit.Glyph & { _decode(): unknown }
const decodeKept = new WeakSet<object>()

/**
 * Embedding a subset decodes the outline of every glyph used (to find a composite glyph's parts),
 * for every document. The font's glyph objects are shared and its bytes never change, so each
 * glyph keeps its decoded outline after the first time (the subset only reads it; the fonts have no
 * variations, the one case where fontkit adjusts an outline's points).
 */
function decodedOnce(glyph: fontkit.Glyph): fontkit.Glyph {
  if (decodeKept.has(glyph)) return glyph
  decodeKept.add(glyph)
  const g = glyph as Decodable
  const decode = g._decode
  // fontkit's glyph decoder is internal: should a later version not have it, glyphs decode as they always did.
  if (typeof decode !== 'function') return glyph
  let done = false
  let outline: unknown
  g._decode = function () {
    if (!done) {
      outline = decode.call(this)
      done = true
    }
    return outline
  }
  return glyph
}

/** What pdfkit reads of a run: the glyphs, positions of its own, and the advance width of those positions. */
class ShapedRun {
  readonly glyphs: fontkit.Glyph[]
  readonly positions: fontkit.GlyphPosition[]
  constructor(run: fontkit.GlyphRun) {
    this.glyphs = run.glyphs
    this.positions = run.positions.map((p) => ({ xAdvance: p.xAdvance, yAdvance: p.yAdvance, xOffset: p.xOffset, yOffset: p.yOffset }))
  }

  get advanceWidth(): number {
    let width = 0
    for (const p of this.positions) width += p.xAdvance
    return width
  }
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
