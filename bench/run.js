// `npm run bench`: the benchmarks of docs/performance.md. They run the compiled project (`npm run build`) and the
// anchor installed in bench/ (`npm ci --prefix bench`); the scripts themselves are TypeScript, run through
// ts-node without type-checking (`npm run typecheck` checks them). Options: node bench/run.js --help
// eslint-disable-next-line @typescript-eslint/no-require-imports
const path = require("node:path");

// eslint-disable-next-line @typescript-eslint/no-require-imports
require("ts-node").register({
  transpileOnly: true,
  project: path.join(__dirname, "..", "tsconfig.json"),
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require("./main.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
