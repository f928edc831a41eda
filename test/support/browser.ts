/** Test support for the dashboard in a real browser: Debian's chromium and the built dashboard. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from './net.ts';
import { ROOT, startPlatform, type RunningPlatform } from './platform.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Browser tests are skipped only where chromium is not installed (`.ci/run` installs it). */
export const hasChromium = fs.existsSync(CHROMIUM);

const COMMON_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * Headless chromium. `webgl: 'swiftshader'` gives pages WebGL on the CPU (there is no GPU here: ANGLE
 * over SwiftShader); `webgl: 'none'` takes WebGL away, as on a browser without it. By default pages get
 * no GPU and fall back as the driver's screen does without WebGL.
 */
export function launchChromium(options: { webgl?: 'swiftshader' | 'none' } = {}): Promise<Browser> {
  const gl =
    options.webgl === 'swiftshader'
      ? ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']
      : options.webgl === 'none'
        ? ['--disable-gpu', '--disable-webgl', '--disable-3d-apis']
        : ['--disable-gpu'];
  return chromium.launch({ executablePath: CHROMIUM, args: [...COMMON_ARGS, ...gl] });
}

/** Builds dashboard/dist unless it is there (the server serves it). */
export function ensureDashboardBuilt(): void {
  if (fs.existsSync(path.join(ROOT, 'dashboard', 'dist', 'index.html'))) return;
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'dashboard/vite.config.ts'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`dashboard build failed:\n${result.stderr}`);
}

/** Opens `url` in a fresh page of `browser`, runs `check` on it, and closes the page whatever happens. */
export async function onPage(browser: Browser, url: string, check: (page: Page) => Promise<void>, viewport = { width: 1280, height: 720 }): Promise<void> {
  const page = await browser.newPage({ viewport });
  try {
    await page.goto(url);
    await check(page);
  } finally {
    await page.close();
  }
}

/** `npm start` with this control token and the built dashboard, once it prints the dashboard's address. */
export async function startDashboardPlatform(token: string, started: (platform: RunningPlatform) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningPlatform> {
  ensureDashboardBuilt();
  const platform = await startPlatform([], { EDGE_TOKEN: token, ...extraEnv });
  // the caller keeps it from here, so a test that times out still stops it
  started(platform);
  await waitFor(() => platform.output().includes('Dashboard: http://localhost:'), 'the dashboard URL', 150_000);
  return platform;
}

/**
 * What a page said that a failing test should show: its console errors, failed requests and a crash
 * of its renderer (kept to the last 50 lines).
 */
export function recordPage(page: Page): { lines: () => string[] } {
  const lines: string[] = [];
  const add = (line: string) => {
    lines.push(`${new Date().toISOString()} ${page.url()}: ${line}`);
    if (lines.length > 50) lines.shift();
  };
  page.on('console', (message) => message.type() === 'error' && add(`console: ${message.text()}`));
  page.on('pageerror', (error) => add(`page error: ${error.message}`));
  page.on('requestfailed', (request) => add(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('crash', () => add('the renderer crashed'));
  return { lines: () => [...lines] };
}
