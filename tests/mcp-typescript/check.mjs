// Drives the orchestrator's MCP server with the official TypeScript SDK client
// (@modelcontextprotocol/sdk), over Streamable HTTP and over stdio.
//
// Environment:
//   ORCH_MCP_URL         the Streamable HTTP endpoint, e.g. http://127.0.0.1:5000/mcp
//   ORCH_MCP_STDIO       the stdio server command as a JSON array,
//                        e.g. ["dotnet","/path/orchestrator.dll","mcp","--server","127.0.0.1:4053"]
//   ORCH_MCP_TRANSPORTS  optional, comma-separated subset of "http,stdio" (default: both);
//                        a transport that is asked for but not configured fails.
//
// Run with: node --test check.mjs   (from a folder where @modelcontextprotocol/sdk is installed)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const REQUEST_TIMEOUT_MS = 15_000; // each MCP request
const STEP_TIMEOUT_MS = 30_000; // each test step (connect includes a process start for stdio)

const TOOLS = [
  'define_task', 'define_tasks', 'claim_task', 'heartbeat', 'complete_task', 'fail_task',
  'cancel_task', 'requeue_task', 'get_task', 'list_tasks', 'task_history', 'save_state',
  'get_state', 'stats', 'list_agents', 'register_agent', 'request_input', 'provide_input', 'cancel_tasks', 'requeue_tasks', 'set_claim_limits',
  'define_schedule', 'remove_schedule', 'list_schedules', 'purge_tasks', 'set_retention',
];
const PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

const wanted = (process.env.ORCH_MCP_TRANSPORTS ?? 'http,stdio')
  .split(',').map((s) => s.trim()).filter(Boolean);

function text(result) {
  return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// A tool call that must succeed; a tool error fails with the server's own words.
async function ok(client, name, args) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: REQUEST_TIMEOUT_MS });
  assert.notEqual(result.isError, true, `${name} answered a tool error: ${text(result)}`);
  assert.ok(result.structuredContent && typeof result.structuredContent === 'object',
    `${name} answered no structuredContent: ${JSON.stringify(result)}`);
  return result;
}

const transports = {
  http: () => {
    const url = process.env.ORCH_MCP_URL;
    assert.ok(url, 'ORCH_MCP_URL is not set');
    return { transport: new StreamableHTTPClientTransport(new URL(url)), stderr: () => '' };
  },
  stdio: () => {
    const raw = process.env.ORCH_MCP_STDIO;
    assert.ok(raw, 'ORCH_MCP_STDIO is not set');
    const [command, ...args] = JSON.parse(raw);
    const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: 'pipe' });
    let err = '';
    transport.stderr?.on('data', (chunk) => { err = (err + chunk).slice(-4000); });
    return { transport, stderr: () => err };
  },
};

for (const kind of ['http', 'stdio']) {
  describe(`MCP over ${kind} with @modelcontextprotocol/sdk`, { skip: !wanted.includes(kind) && `not in ORCH_MCP_TRANSPORTS` }, () => {
    const ns = `tssdk-${kind}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const agent = 'ts-sdk-agent';
    const taskId = `check-${randomBytes(4).toString('hex')}`;
    const payload = { from: 'typescript-sdk', n: 1 };
    const outcome = { ok: true, checked: ['define', 'claim', 'complete'] };
    let client;
    let transport;
    let stderr = () => '';
    let claimId;

    before(async () => {
      ({ transport, stderr } = transports[kind]());
      client = new Client({ name: 'orchestrator-ts-sdk-check', version: '1.0.0' });
      try {
        await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
      } catch (e) {
        const extra = stderr();
        throw new Error(`connect over ${kind} failed: ${e.message}${extra ? `\nserver stderr:\n${extra}` : ''}`, { cause: e });
      }
    }, { timeout: STEP_TIMEOUT_MS });

    after(async () => {
      if (!client) return;
      if (kind === 'http' && transport.sessionId) {
        await transport.terminateSession().catch(() => {}); // DELETE /mcp; best effort
      }
      await client.close();
    }, { timeout: STEP_TIMEOUT_MS });

    it('initializes (server info; a session id over HTTP)', () => {
      const info = client.getServerVersion();
      assert.ok(info?.name, `no serverInfo: ${JSON.stringify(info)}`);
      assert.ok(client.getServerCapabilities()?.tools, 'server does not announce the tools capability');
      if (kind === 'http') assert.ok(transport.sessionId, 'no Mcp-Session-Id (stateful session expected)');
    });

    it('lists all 16 tools, each with inputSchema and outputSchema', { timeout: STEP_TIMEOUT_MS }, async () => {
      const tools = [];
      let cursor;
      do {
        let page;
        try {
          page = await client.listTools(cursor ? { cursor } : undefined, { timeout: REQUEST_TIMEOUT_MS });
        } catch (e) {
          // The SDK checks tools/list against its own schema (zod); name the offending places.
          const issues = (e.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
          if (!issues.length) throw e;
          throw new Error(`the SDK rejected tools/list: ${issues.join('; ')}`, { cause: e });
        }
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      const names = tools.map((t) => t.name);
      for (const name of TOOLS) assert.ok(names.includes(name), `tool ${name} missing; got ${names.join(', ')}`);
      for (const tool of tools.filter((t) => TOOLS.includes(t.name))) {
        assert.equal(tool.inputSchema?.type, 'object', `${tool.name}: inputSchema.type`);
        assert.equal(tool.outputSchema?.type, 'object', `${tool.name}: outputSchema missing or not an object schema`);
      }
      const define = tools.find((t) => t.name === 'define_task');
      for (const p of ['taskId', 'agent', 'taskFile', 'namespace']) {
        assert.ok(define.inputSchema.properties?.[p], `define_task input has no ${p}`);
      }
      assert.deepEqual([...(define.inputSchema.properties?.priority?.enum ?? [])].filter((v) => v !== null).sort(),
        [...PRIORITIES].sort(), 'define_task priority enum');
    });

    it('define_task creates a READY task in a fresh namespace', { timeout: STEP_TIMEOUT_MS }, async () => {
      const r = await ok(client, 'define_task', { taskId, agent, taskFile: 'tasks/ts-sdk-check.md', priority: 'HIGH', payload, namespace: ns });
      assert.equal(r.structuredContent.created, true, JSON.stringify(r.structuredContent));
      assert.equal(r.structuredContent.task?.taskId, taskId);
      assert.equal(r.structuredContent.task?.status, 'READY');
      assert.equal(r.structuredContent.task?.priority, 'HIGH');
    });

    it('claim_task claims it, with a claimId and the payload', { timeout: STEP_TIMEOUT_MS }, async () => {
      const r = await ok(client, 'claim_task', { agent, lease: '30s', namespace: ns });
      const sc = r.structuredContent;
      assert.equal(sc.claimed, true, `not claimed: ${text(r)}`);
      assert.equal(sc.task?.taskId, taskId);
      assert.equal(typeof sc.task?.claimId, 'string');
      assert.ok(sc.task.claimId.length > 0, 'empty claimId');
      assert.ok(sc.task.leaseUntil, 'no leaseUntil');
      assert.deepEqual(sc.task.payload, payload);
      claimId = sc.task.claimId;
    });

    it('complete_task completes it with a result', { timeout: STEP_TIMEOUT_MS }, async () => {
      assert.ok(claimId, 'nothing claimed');
      const r = await ok(client, 'complete_task', { taskId, agent, claimId, result: outcome, namespace: ns });
      assert.equal(r.structuredContent.status, 'COMPLETED', JSON.stringify(r.structuredContent));
      const g = await ok(client, 'get_task', { taskId, namespace: ns });
      assert.equal(g.structuredContent.status, 'COMPLETED');
      assert.deepEqual(g.structuredContent.result, outcome, 'get_task does not give back the result');
    });

    it('a bad priority is a tool error naming the field and value', { timeout: STEP_TIMEOUT_MS }, async () => {
      const r = await client.callTool(
        { name: 'define_task', arguments: { taskId: `${taskId}-bad`, agent, taskFile: 'tasks/x.md', priority: 'urgent', namespace: ns } },
        undefined, { timeout: REQUEST_TIMEOUT_MS });
      assert.equal(r.isError, true, `expected isError: ${JSON.stringify(r)}`);
      const t = text(r);
      assert.match(t, /priority/, `text does not name the field: ${t}`);
      assert.match(t, /urgent/, `text does not name the value: ${t}`);
      // The problem rides along as an embedded application/problem+json resource (a refusal has no
      // structuredContent: that is the success's shape, which this SDK checks even on errors).
      assert.equal(r.structuredContent, undefined, JSON.stringify(r.structuredContent));
      const embedded = (r.content ?? []).find((c) => c.type === 'resource' && c.resource?.mimeType === 'application/problem+json');
      assert.ok(embedded, `no problem resource in ${JSON.stringify(r.content)}`);
      const problem = JSON.parse(embedded.resource.text);
      assert.equal(problem.field, 'priority', embedded.resource.text);
      assert.equal(problem.value, 'urgent');
      assert.equal(problem.status, 400);
    });
  });
}
