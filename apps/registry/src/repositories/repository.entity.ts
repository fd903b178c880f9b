import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An image repository (`team/app`). The OCI API that fills it arrives with issue #3. */
@Entity({ name: 'repository' })
export class RepositoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) name!: string;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
}
