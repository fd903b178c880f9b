import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NodeEntity } from './node.entity';
import { WriteQueue } from './write-queue';

/** Storage of cluster nodes: the seam the service's logic is tested through. */
export abstract class NodeRepository {
  abstract find(nodeId: string): Promise<NodeEntity | null>;
  abstract save(node: NodeEntity): Promise<void>;
  abstract list(): Promise<NodeEntity[]>;
}

@Injectable()
export class TypeOrmNodeRepository extends NodeRepository {
  constructor(
    @InjectRepository(NodeEntity) private readonly repo: Repository<NodeEntity>,
    private readonly writes: WriteQueue,
  ) {
    super();
  }

  find(nodeId: string): Promise<NodeEntity | null> {
    return this.repo.findOneBy({ nodeId });
  }

  async save(node: NodeEntity): Promise<void> {
    await this.writes.run(() => this.repo.save(node));
  }

  list(): Promise<NodeEntity[]> {
    return this.repo.find({ order: { nodeId: 'ASC' } });
  }
}
