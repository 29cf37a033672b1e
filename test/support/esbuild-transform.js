// Jest transform: TypeScript -> CommonJS with esbuild. esbuild ships a binary for every platform through
// the npm registry, so `npm ci` works on any machine (swc's and jest 30's resolver binaries are not
// served for every platform by every registry mirror, which broke `npm ci`). Type checking is `npm run build`.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

const TRANSFORM_REVISION = '2';

module.exports = {
  process(source, filename) {
    const result = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
      // jest's CommonJS runtime cannot run import() without --experimental-vm-modules: turn it into require.
      supported: { 'dynamic-import': false },
    });
    return { code: result.code };
  },
  getCacheKey(source, filename) {
    // Bump TRANSFORM_REVISION when the options above change, so jest's cache forgets old output.
    return createHash('sha1')
      .update(TRANSFORM_REVISION)
      .update(version)
      .update('\0')
      .update(filename)
      .update('\0')
      .update(source)
      .digest('hex');
  },
};
