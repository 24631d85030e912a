import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'public/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/config/ only.' },
      ],
    },
  },
  {
    files: ['src/config/config.ts', 'test/**', 'bench/**', 'scripts/**', 'vitest*.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['bin/**/*.mjs', 'public/**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        document: 'readonly',
        window: 'readonly',
        HTMLFormElement: 'readonly',
        HTMLButtonElement: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
)
