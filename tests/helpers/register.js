/**
 * The tests' TypeScript loader (mocha's `require`, and the CLI runs from source): esbuild transpiles each `.ts`
 * file on load, without type checks (`npm run typecheck` does those), about twice as fast as ts-node's
 * transpile-only mode. Made to keep `tsc`'s CommonJS semantics: `import()` becomes `require()` (as tsc emits
 * it for `module: commonjs`), and `.js` files (compiled output, dependencies) are loaded as they are; every
 * `.ts` file is compiled, wherever it is found.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("esbuild-register/dist/node").register({
  extensions: [".ts"],
  supported: { "dynamic-import": false },
  // Compile every .ts file, also one reached through a node_modules path (the workspace package
  // ami-guard-policies is a symlink there, and under the ami-guard-source condition resolves to .ts sources):
  // left to Node, such a file fails as "SyntaxError: Unexpected identifier" outside any test.
  hookIgnoreNodeModules: false,
});
