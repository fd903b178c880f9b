import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { WriteQueue } from '../nodes/write-queue';
import { JoinTokenEntity } from './join-token.entity';

/** Storage of join tokens: the seam the service's logic is tested through. */
export abstract class JoinTokenRepository {
  abstract find(id: string): Promise<JoinTokenEntity | null>;
  abstract save(token: JoinTokenEntity): Promise<void>;
  abstract list(): Promise<JoinTokenEntity[]>;
}

@Injectable()
export class TypeOrmJoinTokenRepository extends JoinTokenRepository {
  constructor(
    @InjectRepository(JoinTokenEntity) private readonly repo: Repository<JoinTokenEntity>,
    private readonly writes: WriteQueue,
  ) {
    super();
  }

  find(id: string): Promise<JoinTokenEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async save(token: JoinTokenEntity): Promise<void> {
    await this.writes.run(() => this.repo.save(token));
  }

  list(): Promise<JoinTokenEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
