import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/**
 * Memory of a set of processes, sampled from /proc (Linux only) while a benchmark runs. RSS is
 * summed over the processes, as `ps` would show them; shared pages (libraries, shared memory
 * between Chromium's processes) are then counted once per process, so PSS — each shared page split
 * between its sharers — is sampled too, as the fairer sum.
 */
export interface MemoryPeak {
  /** Highest sum of RSS seen in one sample. */
  rssMb: number
  /** Highest sum of PSS seen in one sample (NaN where smaps_rollup is unreadable). */
  pssMb: number
  /** Most processes seen in one sample. */
  processes: number
  samples: number
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined // the process ended between listing and reading
  }
}

const kbField = (text: string | undefined, field: string): number => {
  const match = text ? new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text) : null
  return match ? Number(match[1]) / 1024 : Number.NaN
}

export const rssMbOf = (pid: number): number => kbField(read(`/proc/${pid}/status`), 'VmRSS')
const pssMbOf = (pid: number): number => kbField(read(`/proc/${pid}/smaps_rollup`), 'Pss')

/** Every living process below `root` (not `root` itself), found through the parent pid in /proc/<pid>/stat. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = read(`/proc/${name}/stat`)
    // The command name in parentheses may hold spaces: the parent pid is the 2nd field after it.
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : Number.NaN
    if (Number.isFinite(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)])
  }
  const out: number[] = []
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child)
      walk(child)
    }
  }
  walk(root)
  return out
}

/** The Chromium processes started by this process: descendants whose executable lives under `dir`. */
export function chromiumPids(dir: string): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`).startsWith(dir)
    } catch {
      return false
    }
  })
}

/** Samples the processes `pids()` names every `intervalMs` until stopped; returns the peaks. */
export function sampleMemory(pids: () => number[], intervalMs = 100): { stop: () => MemoryPeak } {
  const peak: MemoryPeak = { rssMb: 0, pssMb: Number.NaN, processes: 0, samples: 0 }
  const sample = () => {
    const list = pids()
    let rss = 0
    let pss = 0
    let pssRead = 0
    for (const pid of list) {
      rss += rssMbOf(pid) || 0
      const p = pssMbOf(pid)
      if (!Number.isNaN(p)) pssRead++
      pss += p || 0
    }
    peak.rssMb = Math.max(peak.rssMb, rss)
    if (pssRead > 0) peak.pssMb = Number.isNaN(peak.pssMb) ? pss : Math.max(peak.pssMb, pss)
    peak.processes = Math.max(peak.processes, list.length)
    peak.samples++
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    }
  }
}
