// Runs the compiled offline preview once in this process (as `ami-guard preview --stack <stack>` does, without
// the CLI's option parsing and printing) and prints its phase timings as one JSON line on stdout:
//   node bench/preview-phases.js <stack>
// loadMs is process start → preview module loaded; the rest are runPreview's own timings (programMs and
// packStartMs both count from runPreview's start, since the program run and the pack start run in parallel).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const path = require("node:path");

const root = path.resolve(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runPreview } = require(path.join(root, "dist", "src", "preview", "preview.js"));
const loadMs = process.uptime() * 1000;

runPreview({ stack: process.argv[2] || "prod", cwd: root }).then(
  (report) => {
    process.stdout.write(
      `${JSON.stringify({
        loadMs,
        ...report.timings,
        resources: report.resources.length,
        diagnostics: report.diagnostics.length,
        mandatory: report.mandatory,
      })}\n`,
    );
  },
  (e) => {
    process.stderr.write(`preview failed: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
