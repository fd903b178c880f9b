import { Injectable } from '@nestjs/common';
import { NodeEntity } from './node.entity';

/** In-process notification of node registrations (the orchestrator keeps the live picture). */
@Injectable()
export class NodeEvents {
  private readonly listeners = new Set<(node: NodeEntity) => void>();

  onRegistered(listener: (node: NodeEntity) => void): void {
    this.listeners.add(listener);
  }

  registered(node: NodeEntity): void {
    for (const listener of this.listeners) listener(node);
  }
}
