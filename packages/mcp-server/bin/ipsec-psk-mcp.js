#!/usr/bin/env node
// The command as installed: a fixed file, so installing from a clone (before a build) has a target to link;
// the server itself is the bundle the build writes.
import '../dist/cli.js';
