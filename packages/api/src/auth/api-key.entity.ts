import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from './roles';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  role: Role;

  /** sha256 of the secret; the secret itself is shown once and never stored. */
  @Column('text', { name: 'secret_hash' })
  secretHash: string;

  /** The first characters of the secret, so an operator can tell keys apart. */
  @Column('text', { name: 'secret_prefix' })
  secretPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
