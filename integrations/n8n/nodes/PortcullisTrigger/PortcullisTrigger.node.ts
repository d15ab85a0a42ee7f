/**
 * Portcullis Trigger: starts the workflow on a Portcullis alert, delivered by the gateway's
 * `webhook` notifier (mcp.security.alerting.notifiers, type webhook, with a secret). Every
 * delivery is verified before the workflow sees it, as the gateway signs it (portcullis
 * `verifySignature`: HMAC-SHA256 over "<timestamp>.<raw body>", constant-time compare, the
 * timestamp within the tolerance), and a delivery id seen before is refused (replay). A delivery
 * that fails gets 401 and starts nothing.
 */
import type { IDataObject, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { loadPortcullis } from '../../lib/portcullis';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
/** Delivery ids remembered per process (replay within the tolerance window). */
const MAX_SEEN = 10_000;
const seen = new Set<string>();

function remember(id: string): boolean {
  if (seen.has(id)) return false;
  seen.add(id);
  if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value as string);
  return true;
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class PortcullisTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Portcullis Trigger',
    name: 'portcullisTrigger',
    icon: 'file:portcullis.svg',
    group: ['trigger'],
    version: 1,
    subtitle: '=at least {{$parameter["minSeverity"]}}',
    description: 'Starts the workflow on a signed Portcullis alert',
    defaults: { name: 'Portcullis Trigger' },
    inputs: [],
    outputs: ['main'],
    credentials: [{ name: 'portcullisWebhookApi', required: true }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '={{$parameter["path"]}}', isFullPath: true }],
    properties: [
      { displayName: 'Path', name: 'path', type: 'string', default: 'portcullis-alert', required: true, description: 'The webhook path: configure the gateway\'s webhook notifier with this URL' },
      {
        displayName: 'Minimum Severity',
        name: 'minSeverity',
        type: 'options',
        options: SEVERITIES.map((s) => ({ name: s[0].toUpperCase() + s.slice(1), value: s })),
        default: 'info',
        description: 'Alerts below it are acknowledged (200) but start nothing',
      },
      { displayName: 'Tolerance (Seconds)', name: 'toleranceSeconds', type: 'number', default: 300, typeOptions: { minValue: 1 }, description: 'How old a delivery\'s signed timestamp may be' },
    ],
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } = await loadPortcullis();
    const req = this.getRequestObject() as ReturnType<IWebhookFunctions['getRequestObject']> & { rawBody?: Buffer };
    const res = this.getResponseObject();
    const refuse = (status: number, error: string): IWebhookResponseData => {
      res.status(status).json({ error });
      return { noWebhookResponse: true };
    };
    const { secret } = (await this.getCredentials('portcullisWebhookApi')) as { secret?: string };
    if (!secret) return refuse(500, 'the Portcullis credential has no secret');
    if (!req.rawBody) return refuse(400, 'no body');
    const check = verifySignature(secret, req.rawBody, header(req.headers, TIMESTAMP_HEADER), header(req.headers, SIGNATURE_HEADER), {
      toleranceSeconds: this.getNodeParameter('toleranceSeconds', 300) as number,
    });
    if (!check.ok) return refuse(401, `signature not verified (${check.reason})`);
    const delivery = header(req.headers, DELIVERY_HEADER);
    if (delivery && !remember(delivery)) return refuse(409, 'delivery already received');
    const body = this.getBodyData() as { type?: string; alert?: IDataObject };
    if (body.type !== 'portcullis.alert' || !body.alert) return refuse(400, 'not a Portcullis alert');
    const min = SEVERITIES.indexOf(this.getNodeParameter('minSeverity', 'info') as string);
    if (SEVERITIES.indexOf(String(body.alert.severity)) < min) {
      res.status(200).json({ received: true, ignored: 'below the minimum severity' });
      return { noWebhookResponse: true };
    }
    return { workflowData: [[{ json: { ...body.alert, delivery: delivery ?? null } }]] };
  }
}
