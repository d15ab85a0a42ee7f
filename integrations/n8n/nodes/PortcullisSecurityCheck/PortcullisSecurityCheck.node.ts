/**
 * Portcullis Security Check: each item is an MCP tool call, decided by the Portcullis gateway's
 * own chain (embedded guard, in-process: schema, tool policy, argument policy, rate limit,
 * injection and secret inspection, in the gateway's fixed order). Allowed items leave by the
 * first output, blocked ones by the second; every item carries `_security` (decision, rule,
 * findings). `failOnViolation` stops the workflow at the first blocked item instead.
 *
 * Why in-process and not a gateway's admin API: the decision needs no running gateway, no network
 * hop per item and no token, and it is the same code and configuration as `portcullis run`; the
 * audit log and alerts of the configuration still apply.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { checkerFor } from '../../lib/checkers';
import type { CallDecision, ToolDefinition } from '../../lib/portcullis';
import { argumentsOf, atPath, callFromMessage, type CallRequest } from '../../lib/mcp-call';
import { writeConfig, type SecurityOptions } from '../../lib/seed-options';

export interface SecurityResult extends IDataObject {
  allowed: boolean;
  decision: 'allowed' | 'blocked';
  server: string;
  tool: string | null;
  code: string | null;
  rule: string | null;
  reason: string | null;
  findings: IDataObject[];
}

function securityOf(server: string, tool: unknown, d: CallDecision): SecurityResult {
  return {
    allowed: d.decision === 'allow',
    decision: d.decision === 'allow' ? 'allowed' : 'blocked',
    server,
    tool: typeof tool === 'string' ? tool : null,
    code: d.code ?? null,
    rule: d.rule ?? null,
    reason: d.reason ?? null,
    findings: d.findings as unknown as IDataObject[],
    ...(d.forwardedArguments && { forwardedArguments: d.forwardedArguments as IDataObject }),
  };
}

function hasOptions(o: SecurityOptions): boolean {
  return Object.keys(o).length > 0;
}

function toolDefinitions(raw: unknown): ToolDefinition[] | undefined {
  const v = typeof raw === 'string' ? (raw.trim() ? JSON.parse(raw) : undefined) : raw;
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
  const list = Array.isArray(v) ? v : (v as { tools?: unknown }).tools;
  if (!Array.isArray(list) || !list.every((t) => t && typeof t === 'object' && typeof (t as ToolDefinition).name === 'string')) {
    throw new Error('Tool Definitions: an array of {name, inputSchema} (or a tools/list result {tools: [...]})');
  }
  return list as ToolDefinition[];
}

export class PortcullisSecurityCheck implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Portcullis Security Check',
    name: 'portcullisSecurityCheck',
    icon: 'file:portcullis.svg',
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["failOnViolation"] ? "fail on violation" : "allowed / blocked"}}',
    description: 'Decide MCP tool calls with the Portcullis gateway chain: allowed or blocked',
    defaults: { name: 'Portcullis Security Check' },
    inputs: ['main'],
    outputs: ['main', 'main'],
    outputNames: ['allowed', 'blocked'],
    properties: [
      {
        displayName: 'Call Source',
        name: 'source',
        type: 'options',
        options: [
          { name: 'MCP Message in the Item', value: 'message', description: 'A JSON-RPC tools/call message: {method, params: {name, arguments}}' },
          { name: 'Tool Name and Arguments', value: 'fields' },
        ],
        default: 'message',
      },
      {
        displayName: 'Message Field',
        name: 'messageField',
        type: 'string',
        default: '',
        placeholder: 'body',
        description: 'Dot path of the MCP message in the item (e.g. body for a Webhook item); empty: the whole item',
        displayOptions: { show: { source: ['message'] } },
      },
      {
        displayName: 'Tool Name',
        name: 'toolName',
        type: 'string',
        default: '',
        required: true,
        displayOptions: { show: { source: ['fields'] } },
      },
      {
        displayName: 'Tool Arguments',
        name: 'toolArguments',
        type: 'json',
        default: '{}',
        displayOptions: { show: { source: ['fields'] } },
      },
      {
        displayName: 'Server Name',
        name: 'server',
        type: 'string',
        default: 'mcp',
        description: 'The server the call is for: its settings in the configuration file apply (mcp.servers or mcp.skills)',
      },
      {
        displayName: 'Portcullis Config File',
        name: 'configFile',
        type: 'string',
        default: '',
        placeholder: '/etc/portcullis/portcullis.yaml',
        description: 'A Portcullis configuration (the one your gateway runs); leave empty to use Security Options instead. Not both.',
      },
      {
        displayName: 'Security Options',
        name: 'securityOptions',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        description: 'Without a config file: the checks to run, as a Portcullis configuration',
        options: [
          { displayName: 'Allowed Tools', name: 'allowedTools', type: 'string', typeOptions: { multipleValues: true }, default: [], description: 'Tool names or globs (* and ?); when set, every other tool is refused' },
          { displayName: 'Denied Tools', name: 'deniedTools', type: 'string', typeOptions: { multipleValues: true }, default: [], description: 'Refused whatever else allows them' },
          { displayName: 'Inspect Arguments', name: 'inspectArguments', type: 'boolean', default: true, description: 'Whether to refuse prompt injection and secrets in the arguments' },
          {
            displayName: 'Rate Limit',
            name: 'rateLimit',
            type: 'collection',
            placeholder: 'Add Field',
            default: {},
            options: [
              { displayName: 'Enabled', name: 'enabled', type: 'boolean', default: true },
              { displayName: 'Requests Per Minute', name: 'requestsPerMinute', type: 'number', default: 60, typeOptions: { minValue: 1 } },
              { displayName: 'Burst Size', name: 'burstSize', type: 'number', default: 60, typeOptions: { minValue: 1 }, description: 'Calls allowed at once; default: a minute\'s worth' },
            ],
          },
          { displayName: 'Schema Validation', name: 'schemaValidation', type: 'boolean', default: true, description: 'Whether to refuse messages that are not valid MCP, and arguments that do not match the tool\'s inputSchema' },
        ],
      },
      {
        displayName: 'Tool Definitions',
        name: 'toolDefinitions',
        type: 'json',
        default: '',
        description: 'The server\'s tools ([{name, inputSchema}] or a tools/list result): their schemas are validated and other names are unknown. Empty: any name, open schema.',
      },
      {
        displayName: 'Fail On Violation',
        name: 'failOnViolation',
        type: 'boolean',
        default: false,
        description: 'Whether to stop the workflow with an error at the first blocked item, instead of sending it to the blocked output',
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const allowed: INodeExecutionData[] = [];
    const blocked: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const source = this.getNodeParameter('source', i) as string;
      const server = (this.getNodeParameter('server', i) as string) || 'mcp';
      const configFile = (this.getNodeParameter('configFile', i, '') as string).trim();
      const options = this.getNodeParameter('securityOptions', i, {}) as SecurityOptions;
      const failOnViolation = this.getNodeParameter('failOnViolation', i, false) as boolean;
      let call: CallRequest;
      let tools: ToolDefinition[] | undefined;
      let file: string;
      try {
        if (configFile && hasOptions(options)) {
          throw new Error('set either Portcullis Config File or Security Options, not both: an option that the file does not have would be silently ignored');
        }
        tools = toolDefinitions(this.getNodeParameter('toolDefinitions', i, ''));
        call =
          source === 'fields'
            ? { kind: 'call', name: this.getNodeParameter('toolName', i), arguments: argumentsOf(this.getNodeParameter('toolArguments', i, {})) }
            : callFromMessage(atPath(item.json, this.getNodeParameter('messageField', i, '') as string));
        file = configFile || writeConfig(options, server);
      } catch (err) {
        throw new NodeOperationError(this.getNode(), (err as Error).message, { itemIndex: i });
      }
      let security: SecurityResult;
      if (call.kind === 'other') {
        security = { allowed: false, decision: 'blocked', server, tool: null, code: 'METHOD_NOT_CHECKED', rule: null, reason: `only tools/call messages are checked here, not '${call.method}'`, findings: [] };
      } else {
        let decision: CallDecision;
        try {
          const checker = await checkerFor(file, server, tools);
          decision = await checker.check({ name: call.name as string, arguments: call.arguments });
        } catch (err) {
          // The check could not run (configuration, load): never an allowed item.
          throw new NodeOperationError(this.getNode(), `Portcullis could not check the call: ${(err as Error).message}`, { itemIndex: i });
        }
        security = securityOf(server, call.name, decision);
      }
      if (!security.allowed && failOnViolation) {
        if (this.continueOnFail()) {
          blocked.push({ json: { ...item.json, _security: security, error: `MCP Security Violation: ${security.reason}` }, pairedItem: { item: i } });
          continue;
        }
        throw new NodeOperationError(this.getNode(), `MCP Security Violation: ${security.reason}`, {
          itemIndex: i,
          description: `code ${security.code}${security.rule ? `, rule ${security.rule}` : ''}`,
        });
      }
      (security.allowed ? allowed : blocked).push({ json: { ...item.json, _security: security }, pairedItem: { item: i } });
    }
    return [allowed, blocked];
  }
}
