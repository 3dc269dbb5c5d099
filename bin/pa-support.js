#!/usr/bin/env node
// The support console's command line (scripts/support-cli.ts), run through tsx.
require('tsx/cjs');
require('../scripts/support-cli.ts');
