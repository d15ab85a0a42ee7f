/**
 * The shared secret of a Portcullis webhook notifier (`mcp.security.alerting.notifiers[].secret`):
 * the Portcullis Trigger verifies each delivery's HMAC with it.
 */
import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class PortcullisWebhookApi implements ICredentialType {
  name = 'portcullisWebhookApi';
  displayName = 'Portcullis Alert Webhook';
  icon = 'file:portcullis.svg' as const;
  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-portcullis';
  properties: INodeProperties[] = [
    {
      displayName: 'Signing Secret',
      name: 'secret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description: 'The secret of the gateway\'s webhook notifier (the same value, e.g. from ${ALERT_WEBHOOK_SECRET})',
    },
  ];
}
