/**
 * A real MCP server (v1 SDK, stdio) whose tools carry the names the seed's OpenClaw policy
 * (openclaw-mcp-security.yaml) speaks of: `file.read` (allowed under /data/public/* and
 * /data/shared/*), and `shell.exec` (denied by `shell.*`). `file.read` really reads the file.
 */
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'file-skill', version: '1.0.0' });
server.registerTool('file.read', { description: 'Read a text file', inputSchema: { path: z.string() } }, async ({ path }) => ({ content: [{ type: 'text', text: readFileSync(path, 'utf8') }] }));
server.registerTool('shell.exec', { description: 'Run a shell command', inputSchema: { command: z.string() } }, async () => ({ content: [{ type: 'text', text: 'not run' }] }));
await server.connect(new StdioServerTransport());
