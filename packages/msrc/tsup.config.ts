import { packageConfig } from '../../tsup.package.js';

// The seg-msrc command is an entry of its own (bin/seg-msrc.js loads it by path), as every @seg command is.
export default packageConfig(['src/index.ts', 'src/palette.ts', 'src/cli/program.ts']);
