/**
 * Portcullis itself, loaded on first use. The nodes decide nothing of their own: every decision
 * is the gateway's (the `portcullis` package: its embedded guard and its inspection), installed
 * beside this package. Portcullis is an ES module; n8n loads nodes as CommonJS, hence `import()`.
 */
import type * as Portcullis from 'portcullis' with { 'resolution-mode': 'import' };
export type { CallChecker, CallDecision, ToolDefinition } from 'portcullis' with { 'resolution-mode': 'import' };

export type PortcullisModule = typeof Portcullis;

let loading: Promise<PortcullisModule> | undefined;

export function loadPortcullis(): Promise<PortcullisModule> {
  loading ??= import('portcullis').catch((err: unknown) => {
    loading = undefined;
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      `the 'portcullis' package could not be loaded (${e.code ?? e.message}); install it next to n8n-nodes-portcullis (npm install portcullis) so that the gateway's own checks can run`,
    );
  });
  return loading;
}
