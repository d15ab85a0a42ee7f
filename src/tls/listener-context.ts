/**
 * The listener's TLS settings and their reload without a restart.
 *
 * Certificates rotate (ACME, an internal CA with short lifetimes): the files are watched
 * (debounced, since a deploy writes cert and key one after the other) and re-read on SIGHUP. A
 * new pair is installed with `server.setSecureContext()` only after it loads and the key matches
 * the certificate; a broken or half-written pair keeps the old context and logs an error, so a
 * bad deploy cannot take the gateway off the air. Existing connections keep their context; new
 * handshakes get the new one.
 */
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import { dirname, basename } from 'node:path';
import type { Server as HttpsServer } from 'node:https';
import type { ListenTls } from '../config/tls-schema.ts';
import { groupsOption } from './groups.ts';

/** Bounded reads: a PEM bundle is kilobytes; a path pointing at something huge is a mistake. */
const MAX_PEM_BYTES = 1024 * 1024;

export function readPem(path: string, key: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (buf.length > MAX_PEM_BYTES) throw new Error(`${key}: ${path} is ${buf.length} bytes, not a PEM file`);
  return buf;
}

/** The material part of the options: what a reload replaces. Throws naming the key on a bad file. */
export function secureContextOptions(t: ListenTls): SecureContextOptions {
  const opts: SecureContextOptions = {
    cert: readPem(t.certPath, 'mcp.listen.tls.certPath'),
    key: readPem(t.keyPath, 'mcp.listen.tls.keyPath'),
    ...(t.caPath !== undefined && { ca: readPem(t.caPath, 'mcp.listen.tls.caPath') }),
    ecdhCurve: groupsOption(t.requirePostQuantum),
    // ML-KEM groups exist only in TLS 1.3: requiring them implies it.
    minVersion: t.requirePostQuantum ? 'TLSv1.3' : t.minVersion,
  };
  // Fails here (key/cert mismatch, bad PEM) rather than at the first handshake.
  try {
    createSecureContext(opts);
  } catch (err) {
    throw new Error(`mcp.listen.tls: the certificate/key pair does not load (${(err as Error).message})`);
  }
  return opts;
}

/** Options for `https.createServer`: material plus client-certificate policy. */
export function listenerTlsOptions(t: ListenTls): TlsOptions {
  return {
    ...secureContextOptions(t),
    requestCert: t.clientCertificate !== 'none',
    // `optional`: a certificate that is sent must verify, but none is needed; the handler sees
    // `socket.authorized`. `required`: OpenSSL fails the handshake itself.
    rejectUnauthorized: t.clientCertificate === 'required',
  };
}

export interface Reloader {
  reload(): boolean;
  close(): void;
}

/** Watch the certificate files and reload on change (debounced) and on SIGHUP. */
export function watchCertificates(server: HttpsServer, t: ListenTls, log: (msg: string) => void, debounceMs = 200): Reloader {
  const reload = (): boolean => {
    try {
      server.setSecureContext(secureContextOptions(t));
      log('listener TLS certificate reloaded');
      return true;
    } catch (err) {
      log(`listener TLS certificate NOT reloaded, the previous one stays in use: ${(err as Error).message}`);
      return false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  };
  // Watch the directories, not the files: an atomic rename-into-place replaces the inode a
  // file watch would be attached to.
  const files = [t.certPath, t.keyPath, ...(t.caPath ? [t.caPath] : [])];
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    const names = new Set(files.filter((f) => dirname(f) === dir).map((f) => basename(f)));
    try {
      const w = watch(dir, { persistent: false }, (_ev, name) => {
        if (name === null || names.has(String(name))) schedule();
      });
      w.on('error', (err) => log(`certificate watch on ${dir} failed: ${err.message}; SIGHUP still reloads`));
      watchers.push(w);
    } catch (err) {
      log(`cannot watch ${dir} (${(err as Error).message}); SIGHUP still reloads`);
    }
  }
  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  return {
    reload,
    close: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      process.off('SIGHUP', onHup);
    },
  };
}
