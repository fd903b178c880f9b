import type { ServiceName } from '@silo/domain';

/**
 * Every NATS subject Silo uses. Commands and queries are `silo.<service>.<noun>.<verb>` and are
 * served in the service's queue group; events are `silo.<service>.<event>` and are broadcast
 * (no queue group); one node's agent listens on `silo.agent.<nodeId>.…`.
 */
export const Subjects = {
  health: (service: ServiceName): string => `silo.${service}.health`,
  agentHealth: (nodeId: string): string => `silo.agent.${nodeId}.health`,
  agentTasksSet: (nodeId: string): string => `silo.agent.${nodeId}.tasks.set`,
  agentTasksList: (nodeId: string): string => `silo.agent.${nodeId}.tasks.list`,
  agentLogs: (nodeId: string): string => `silo.agent.${nodeId}.logs.read`,
  agentExec: (nodeId: string): string => `silo.agent.${nodeId}.exec`,
  agentStats: (nodeId: string): string => `silo.agent.${nodeId}.stats`,
  agentExecOpen: (nodeId: string): string => `silo.agent.${nodeId}.exec.open`,
  taskStateEvent: 'silo.node-agent.task-state',
  imageProgressEvent: 'silo.node-agent.image-progress',
  heartbeatEvent: 'silo.node-agent.heartbeat',
  nodeRegister: 'silo.scheduler.node.register',
  nodeList: 'silo.scheduler.node.list',
  nodeRegisteredEvent: 'silo.scheduler.node-registered',
  nodeUpdate: 'silo.scheduler.node.update',
  joinTokenCreate: 'silo.scheduler.join-token.create',
  joinTokenList: 'silo.scheduler.join-token.list',
  joinTokenRevoke: 'silo.scheduler.join-token.revoke',
  joinTokenRevokedEvent: 'silo.scheduler.join-token-revoked',
  serviceCreate: 'silo.scheduler.service.create',
  serviceUpdate: 'silo.scheduler.service.update',
  serviceScale: 'silo.scheduler.service.scale',
  serviceRollback: 'silo.scheduler.service.rollback',
  serviceRemove: 'silo.scheduler.service.remove',
  serviceGet: 'silo.scheduler.service.get',
  serviceList: 'silo.scheduler.service.list',
  serviceTasks: 'silo.scheduler.service.tasks',
  nodeStatus: 'silo.scheduler.node.status',
  taskList: 'silo.scheduler.task.list',
  nodeStateEvent: 'silo.scheduler.node-state',
  serviceEvent: 'silo.scheduler.service-changed',
  blobStat: 'silo.layer-store.blob.stat',
  blobDelete: 'silo.layer-store.blob.delete',
  blobList: 'silo.layer-store.blob.list',
  storeUsage: 'silo.layer-store.usage',
  uploadPurge: 'silo.layer-store.upload.purge',
  registryGc: 'silo.registry.gc.run',
  accountCreate: 'silo.registry.account.create',
  accountDelete: 'silo.registry.account.delete',
  teamPut: 'silo.registry.team.put',
  teamGet: 'silo.registry.team.get',
  teamMemberSet: 'silo.registry.team.member.set',
  repositoryVisibility: 'silo.registry.repository.visibility.set',
  accountList: 'silo.registry.account.list',
  accountRoleSet: 'silo.registry.account.role.set',
  teamList: 'silo.registry.team.list',
  teamDelete: 'silo.registry.team.delete',
  authVerify: 'silo.registry.auth.verify',
  sessionCreate: 'silo.registry.session.create',
  sessionRevoke: 'silo.registry.session.revoke',
  repositoryList: 'silo.registry.repository.list',
  repositoryGet: 'silo.registry.repository.get',
  repositoryDelete: 'silo.registry.repository.delete',
  manifestGet: 'silo.registry.manifest.get',
  manifestDelete: 'silo.registry.manifest.delete',
  registryUploadCommit: 'silo.registry.upload.commit',
  registryUploadEnd: 'silo.registry.upload.end',
  /** Broadcast when an account, token, session or membership changes (caches drop their entries). */
  accountChangedEvent: 'silo.registry.account-changed',
  registryPushedEvent: 'silo.registry.pushed',
  registryDeletedEvent: 'silo.registry.deleted',
} as const;

/** The queue group a service's replicas share for its commands. */
export function queueGroup(service: ServiceName): string {
  return `silo.${service}`;
}
