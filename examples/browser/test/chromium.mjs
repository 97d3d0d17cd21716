// Headless Debian Chromium for the browser test and timing: off the network
// (this machine has none) and out of GPU drivers. `--enable-unsafe-webgpu`
// turns on WebGPU, which Linux Chromium still ships disabled; without a GPU
// it then offers SwiftShader's software adapter, which is enough to check
// correctness (not speed) of both WebGPU runtimes.
import { existsSync } from 'node:fs';
import { chromium as playwright } from 'playwright-core';

/**
 * Launches Chromium (`$CHROMIUM`, default /usr/bin/chromium), or exits naming
 * what to install. `{ webgpu: false }` leaves WebGPU off, as in a browser
 * without it.
 */
export async function launchChromium({ webgpu = true } = {}) {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.error(`no Chromium at ${executablePath}; install Debian's chromium package or set CHROMIUM`);
    process.exit(1);
  }
  return playwright.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', ...(webgpu ? ['--enable-unsafe-webgpu'] : []), '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
