/**
 * The console's files (src/console/): plain HTML, CSS and ES modules shipped in the package,
 * read once at start, served by the admin listener under a strict Content-Security-Policy (no
 * inline script or style, nothing from another origin), with no build step and no CDN.
 *
 * Only the sign-in page and its stylesheet are served to a visitor without a session; the
 * console itself and its scripts need one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'console');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
}

export class ConsoleAssets {
  private readonly files = new Map<string, Asset>();

  constructor(dir = DIR) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) this.files.set(name, { body: readFileSync(join(dir, name)), type });
    }
    for (const need of ['index.html', 'login.html', 'console.css', 'console.js']) {
      if (!this.files.has(need)) throw new Error(`the console's ${need} is missing from ${dir}: the package is incomplete`);
    }
  }

  /** `/console/NAME` for a file of the console (flat: no directories, no dot files). */
  get(path: string): Asset | undefined {
    const m = /^\/console\/([a-z0-9-]+\.(?:js|css|svg))$/.exec(path);
    return m ? this.files.get(m[1]) : undefined;
  }

  page(name: 'index.html' | 'login.html'): Asset {
    return this.files.get(name)!;
  }

  /** The sign-in page saying why the last attempt failed (fixed texts only: nothing the visitor sent). */
  loginWith(message: string): Asset {
    const page = this.files.get('login.html')!;
    return { type: page.type, body: Buffer.from(page.body.toString('utf8').replace('<!--message-->', `<p class="error" role="alert">${message}</p>`)) };
  }
}
