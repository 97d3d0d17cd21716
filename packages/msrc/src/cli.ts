#!/usr/bin/env node
process.stderr.write('seg-msrc: not built yet\n');
process.exit(1);
