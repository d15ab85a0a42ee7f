/**
 * Portcullis Inspect: scan a text or JSON field of each item for prompt injection, secrets and
 * personal data, and redact, with the findings. The detectors and the decision are the gateway's
 * own (portcullis `inspectValue`: src/inspect/ over src/detect/), with the actions chosen here
 * as `mcp.security.inspection` settings. Items with a blocking finding leave by the second output.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { atPath } from '../../lib/mcp-call';
import { loadPortcullis } from '../../lib/portcullis';

type Direction = 'result' | 'argument';

/** The node's choices as `mcp.security.inspection`, for the direction inspected. */
export function inspectionSettings(direction: Direction, injection: string, secrets: string, pii: string): Record<string, unknown> {
  const onHigh = injection === 'off' ? 'allow' : injection;
  const severities = { low: injection === 'off' ? 'allow' : 'flag', medium: injection === 'off' ? 'allow' : 'flag', high: onHigh, critical: onHigh };
  return direction === 'result'
    ? { injection: { results: severities }, dlp: { secrets, pii } }
    : { injection: { arguments: severities }, dlp: { argumentSecrets: secrets, argumentPii: pii, scanArguments: secrets !== 'off' || pii !== 'off' } };
}

/** Writes `value` at a dot path of a copy of `json`; an empty path replaces the whole item. */
function setPath(json: IDataObject, path: string, value: unknown): IDataObject {
  if (!path.trim()) return (value && typeof value === 'object' && !Array.isArray(value) ? value : { value }) as IDataObject;
  const keys = path.split('.');
  const out: IDataObject = { ...json };
  let node = out as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    node[k] = { ...(node[k] as object) };
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  return out;
}

const ACTIONS = [
  { name: 'Redact', value: 'redact' },
  { name: 'Block', value: 'block' },
  { name: 'Flag Only', value: 'flag' },
  { name: 'Off', value: 'off' },
];

export class PortcullisInspect implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Portcullis Inspect',
    name: 'portcullisInspect',
    icon: 'file:portcullis.svg',
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["field"] || "whole item"}}',
    description: 'Scan and redact text or JSON for prompt injection, secrets and personal data (the Portcullis detectors)',
    defaults: { name: 'Portcullis Inspect' },
    inputs: ['main'],
    outputs: ['main', 'main'],
    outputNames: ['passed', 'blocked'],
    properties: [
      {
        displayName: 'Field',
        name: 'field',
        type: 'string',
        default: '',
        placeholder: 'result',
        description: 'Dot path of the text or JSON to inspect; empty: the whole item',
      },
      {
        displayName: 'Content Is',
        name: 'direction',
        type: 'options',
        options: [
          { name: 'A Tool Result (What a Server Answered)', value: 'result' },
          { name: 'Tool Arguments (What Goes to a Server)', value: 'argument' },
        ],
        default: 'result',
      },
      {
        displayName: 'Prompt Injection (High and Critical)',
        name: 'injection',
        type: 'options',
        options: ACTIONS,
        default: 'block',
      },
      { displayName: 'Secrets', name: 'secrets', type: 'options', options: ACTIONS, default: 'redact' },
      { displayName: 'Personal Data', name: 'pii', type: 'options', options: ACTIONS, default: 'redact' },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const { inspectValue } = await loadPortcullis();
    const items = this.getInputData();
    const passed: INodeExecutionData[] = [];
    const blocked: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      const field = this.getNodeParameter('field', i, '') as string;
      const direction = this.getNodeParameter('direction', i, 'result') as Direction;
      const inspection = inspectionSettings(direction, this.getNodeParameter('injection', i) as string, this.getNodeParameter('secrets', i) as string, this.getNodeParameter('pii', i) as string);
      const json = items[i].json;
      const value = atPath(json, field);
      if (value === undefined) throw new NodeOperationError(this.getNode(), `Field '${field}' is not in the item`, { itemIndex: i });
      const r = await inspectValue(value, { direction, inspection });
      const out = setPath(field ? json : {}, field, r.value);
      const result = { blocked: r.blocked, rule: r.rule ?? null, redacted: r.redacted, findings: r.findings as unknown as IDataObject[] };
      (r.blocked ? blocked : passed).push({ json: { ...out, _inspection: result }, pairedItem: { item: i } });
    }
    return [passed, blocked];
  }
}
