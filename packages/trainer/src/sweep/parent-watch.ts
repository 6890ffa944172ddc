/**
 * Preloaded (`node --import`) into every `vae-train` child of `vae-sweep`.
 * The sweep holds the write end of the child's stdin; when the sweep dies in
 * any way, SIGKILL included, the pipe closes and the child stops itself with
 * SIGTERM, which vae-train turns into a mid-epoch checkpoint. Without this an
 * orphaned child would keep training while a rerun of the sweep starts the
 * same run again in the same folder.
 */
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// The pipe alone must not keep a finished vae-train alive.
process.stdin.unref?.();
