/**
 * The tests' TypeScript loader (mocha's `require`, and the CLI runs from source): esbuild transpiles each `.ts`
 * file on load, without type checks (`npm run typecheck` does those), about twice as fast as ts-node's
 * transpile-only mode. Made to keep `tsc`'s CommonJS semantics: `import()` becomes `require()` (as tsc emits
 * it for `module: commonjs`), and `.js` files (compiled output, dependencies) are loaded as they are.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("esbuild-register/dist/node").register({
  extensions: [".ts"],
  supported: { "dynamic-import": false },
});
