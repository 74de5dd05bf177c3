// @ipsec-psk/rotation/testing: what tests of programs built on the engine need (ours, and a program's own): a key
// directory on a failing disk, and child processes watched without sleeping.
export { type FailingFiles, failingFiles } from './failing-files.js';
export { Captured, exitOf, isRunning } from './processes.js';
