import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Namespacer } from '../../../src/gateway/namespacing.ts';
import { ServerView } from '../../../src/embed/server-view.ts';

describe("ServerView: one server's names over a multi-server gateway", () => {
  const view = new ServerView(new Namespacer(['files', 'notes']), 'files');

  test('requests get the server prefix', () => {
    assert.equal(view.outbound({ id: 1, method: 'tools/call', params: { name: 'read' } }).params?.name, 'files__read');
    assert.equal(view.outbound({ id: 2, method: 'resources/read', params: { uri: 'file:///a' } }).params?.uri, 'files+file:///a');
    assert.deepEqual(view.outbound({ id: 3, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'p' } } }).params?.ref, { type: 'ref/prompt', name: 'files__p' });
  });

  test("lists keep only this server's items, under their own names", () => {
    const msg = { id: 1, result: { tools: [{ name: 'files__read' }, { name: 'notes__read' }, { name: 'files__files__x' }] } };
    assert.deepEqual(view.inbound(msg, 'tools/list').result?.tools, [{ name: 'read' }, { name: 'files__x' }]);
    const res = { id: 2, result: { resourceTemplates: [{ uriTemplate: 'files+file:///{p}' }, { uriTemplate: 'notes+n://{x}' }] } };
    assert.deepEqual(view.inbound(res, 'resources/templates/list').result?.resourceTemplates, [{ uriTemplate: 'file:///{p}' }]);
  });

  test('URIs inside results and notifications lose the prefix; the original message is not changed', () => {
    const msg = { id: 3, result: { contents: [{ uri: 'files+file:///a', text: 't' }] } };
    assert.deepEqual(view.inbound(msg, 'resources/read').result, { contents: [{ uri: 'file:///a', text: 't' }] });
    assert.equal(msg.result.contents[0].uri, 'files+file:///a');
    assert.equal(view.inbound({ method: 'notifications/resources/updated', params: { uri: 'files+file:///a' } }).params?.uri, 'file:///a');
  });

  test('with one server nothing is rewritten', () => {
    const single = new ServerView(new Namespacer(['files']), 'files');
    const msg = { id: 1, method: 'tools/call', params: { name: 'read' } };
    assert.equal(single.outbound(msg), msg);
  });
});
