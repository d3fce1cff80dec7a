// How the swarm driver reads a web task after the manager's engine restarted: the worker node
// is `unknown` until it reports again (not lost: its task stays routed), and the task may come
// back without its PortStatus (the port last reported stays true). Seen on real swarms in
// test/faults/swarm-manager-restart.test.ts; here as plain data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_PORT } from './docker-dyno.ts';
import type { ServiceSpec } from './swarm-spec.ts';
import { createPortBook, toDyno, type Snapshot, type SwarmNode, type SwarmTask } from './swarm-state.ts';

const service = { ID: 's1', CreatedAt: '2026-01-01T00:00:00Z', Spec: {
  Name: 'paas-a-web-1', Labels: { paas: '1', 'paas.app': 'a', 'paas.dyno': 'web.1', 'paas.type': 'web', 'paas.release': '3' },
  TaskTemplate: { RestartPolicy: { Condition: 'any' } },
} as unknown as ServiceSpec };
const node = (state: string): SwarmNode => ({
  ID: 'n2', Description: { Hostname: 'worker-1' }, Spec: { Role: 'worker', Availability: 'active' }, Status: { State: state, Addr: '10.0.0.3' }, Version: { Index: 1 },
});
const task = (ports: boolean): SwarmTask => ({
  ID: 't1', ServiceID: 's1', NodeID: 'n2', CreatedAt: '2026-01-01T00:00:01Z', DesiredState: 'running',
  Status: { State: 'running', ...(ports ? { PortStatus: { Ports: [{ TargetPort: APP_PORT, PublishedPort: 30001 }] } } : {}) },
});
const snap = (state: string, ports: boolean): Snapshot => ({
  services: [service], tasks: new Map([['s1', [task(ports)]]]), nodes: new Map([['n2', node(state)]]), selfNodeId: 'n1', loopbackNodeId: 'n1',
});

test('a web task on a node a restarted manager does not know yet (unknown) stays up and routed; on a lost node it is down', () => {
  const view = { label: 'paas', healthy: new Set(['t1']), stopping: new Set<string>(), ports: createPortBook() };
  assert.deepEqual(pick(toDyno(snap('unknown', true), service, view)), { state: 'up', host: '10.0.0.3', port: 30001, node: 'worker-1' });
  assert.equal(toDyno(snap('down', true), service, view).state, 'down');
  assert.equal(toDyno(snap('disconnected', true), service, view).state, 'down');
});

test('a running task that comes back without its PortStatus keeps the port last reported for it', () => {
  const ports = createPortBook();
  const view = { label: 'paas', healthy: new Set(['t1']), stopping: new Set<string>(), ports };
  assert.equal(toDyno(snap('ready', false), service, view).port, null, 'never reported: no port, not routed');
  assert.equal(toDyno(snap('ready', true), service, view).port, 30001);
  assert.deepEqual(pick(toDyno(snap('ready', false), service, view)), { state: 'up', host: '10.0.0.3', port: 30001, node: 'worker-1' });
  ports.keep(new Set());
  assert.equal(toDyno(snap('ready', false), service, view).port, null, 'forgotten once the task is gone');
  ports.set('t1', 30002);
  assert.equal(toDyno(snap('ready', false), service, view).port, 30002, 'learnt from the last route table');
});

function pick(d: { state: string; host: string | null; port: number | null; node: string | null }): object {
  return { state: d.state, host: d.host, port: d.port, node: d.node };
}
