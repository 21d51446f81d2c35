/** One place for the look of every report: A4, generous margins, one restrained accent. */
export const PAGE = {
  size: 'A4' as const,
  margin: 56,
  /** Room kept free at the bottom of every page for the footer. */
  footerHeight: 34
}

export const COLOR = {
  text: '#1f2933',
  muted: '#616e7c',
  rule: '#d9e2ec',
  panel: '#f5f7fa',
  zebra: '#fafbfc',
  accent: '#1f6f8b',
  accentLight: '#cfe3ea',
  warning: '#9a6700'
}

export const SIZE = {
  title: 20,
  heading: 13,
  subheading: 10.5,
  body: 9.5,
  small: 8,
  tiny: 7
}

export const LINE_GAP = 2
