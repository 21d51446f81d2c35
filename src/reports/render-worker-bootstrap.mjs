// Run from source, the app is TypeScript loaded through tsx, whose loader a worker thread does not
// inherit on Node 20: this plain-JS entry registers tsx in the worker, then loads the real worker
// module. The built app (dist/) needs neither: its pool starts dist/reports/render-worker.js itself.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
