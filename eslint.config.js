import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'migrations/**', '.tap/**', 'coverage/**', 'tmp/**', 'bench/results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config.ts.' }]
    }
  },
  // PDF layout (pdfkit, fonts) runs in the render pool's worker threads: the main thread only shares
  // its types, so the request-serving process never loads it. One entry per folder depth, since the
  // patterns are relative import paths that reach src/reports.
  ...[
    [['src/app.ts', 'src/server.ts'], './reports'],
    [['src/modules/*.ts', 'src/plugins/**', 'src/lib/**', 'src/db/*.ts'], '../reports'],
    [['src/modules/*/**', 'src/db/schema/**'], '../../reports']
  ].map(([files, reports]) => ({
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          group: [`${reports}/*`, `!${reports}/render-pool.ts`],
          allowTypeImports: true,
          message: 'Report layout loads only in the render pool\'s worker threads (src/reports/render-pool.ts); import its types only.'
        }]
      }]
    }
  })),
  {
    files: ['src/config.ts', 'test/**', 'bench/**', 'drizzle.config.ts'],
    rules: { 'no-restricted-properties': 'off' }
  }
)
