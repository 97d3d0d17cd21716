import { packageConfig } from '../../tsup.package.js';

export default packageConfig(['src/index.ts', 'src/classes.ts', 'src/msrc.ts', 'src/decode-pool/decode-worker.ts']);
